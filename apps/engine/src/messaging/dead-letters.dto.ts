import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { EachMatches, QueryInt } from '@dropline/platform';

/** A dead letter's id: the row id of its consumer's table, a positive decimal integer. */
const DEAD_LETTER_ID = /^[1-9][0-9]{0,17}$/;
/** The longest page of GET /messaging/dead-letters/:consumer, and the most ids one redrive takes. */
export const MAX_DEAD_LETTERS_PAGE = 100;

export class ConsumerNameParams {
  @ApiProperty({ example: 'fulfillment', description: 'A consumer this instance runs (GET /messaging/status lists them)' })
  @Matches(/^[a-z][a-z0-9-]{0,62}$/, { message: 'consumer is not a consumer name' })
  consumer!: string;
}

export class DeadLettersQuery {
  @ApiPropertyOptional({ description: 'The `next` of the previous page: dead letters after this id' })
  @IsOptional()
  @Matches(DEAD_LETTER_ID, { message: 'after must be a dead letter id (the next of the previous page)' })
  after?: string;
  @ApiPropertyOptional({
    default: 20,
    maximum: MAX_DEAD_LETTERS_PAGE,
    description: 'At most this many; a page also ends once its dead letters reach 4 MiB (then `next` goes on)',
  })
  @IsOptional()
  @QueryInt()
  @Min(1)
  @Max(MAX_DEAD_LETTERS_PAGE)
  @IsInt()
  limit?: number;
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: only those not redriven yet' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'pending must be true or false' })
  pending?: string;
  @ApiPropertyOptional({
    example: 'unknown-schema',
    description: '`unparseable`, `unknown-schema`, `rejected` (every rejection) or `rejected:<code>`',
  })
  @IsOptional()
  @Matches(/^(unparseable|unknown-schema|rejected(:[A-Z][A-Z0-9_.]{0,63})?)$/, {
    message: 'reason must be unparseable, unknown-schema, rejected or rejected:<CODE>',
  })
  reason?: string;
}

/** POST /messaging/dead-letters/:consumer/redrive (and /dismiss) body. */
export class RedriveDeadLettersDto {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_DEAD_LETTERS_PAGE,
    example: ['17', '18'],
    description: `1-${MAX_DEAD_LETTERS_PAGE} dead letter ids of this consumer, taken in id order`,
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DEAD_LETTERS_PAGE)
  @EachMatches(DEAD_LETTER_ID, 'a dead letter id (a positive integer, as a string)')
  @IsArray()
  ids!: string[];
}

// The answers as the OpenAPI document shows them (DeadLetterLedger builds them).

export class DeadLetterDto {
  @ApiProperty({ example: '17' }) id!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The event id (ce_id header); null when the message had none' })
  ceId!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'dropline.preorder.placed.v1' }) ceType!: string | null;
  @ApiProperty({ example: 'rejected:FULFILLMENT.ALLOCATION_MISMATCH', description: '`unparseable`, `unknown-schema` or `rejected:<code>`' })
  reason!: string;
  @ApiProperty() detail!: string;
  @ApiProperty({ format: 'date-time' }) deadLetteredAt!: string;
  @ApiProperty({
    enum: ['utf8', 'base64'],
    description: 'How key and value are written: text, or base64 when the bytes were not UTF-8 text',
  })
  encoding!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The message key (the stream name)' }) key!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "The message value (the event's data as JSON), its first 65,536 characters (see valueTruncated)",
  })
  value!: string | null;
  @ApiProperty({ description: 'True when the list left out the rest of a longer value (a redrive hands over all of it)' })
  valueTruncated!: boolean;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'The CloudEvents headers (ce_*) and the rest' })
  headers!: Record<string, string>;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When it was redriven; null while it waits' })
  redrivenAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    enum: ['applied', 'duplicate', 'skipped', 'dead-lettered', 'redriving', 'dismissed'],
    description: 'What its redrive did (`redriving` while one runs), or `dismissed` when it was written off',
  })
  redriveOutcome!: string | null;
}

export class DeadLetterPageDto {
  @ApiProperty({ example: 'fulfillment' }) consumer!: string;
  @ApiProperty({ type: [DeadLetterDto] }) deadLetters!: DeadLetterDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `after` for the next page; null at the end' })
  next!: string | null;
}

export class RedriveResultDto {
  @ApiProperty({ example: '17' }) id!: string;
  @ApiProperty({
    enum: ['applied', 'duplicate', 'skipped', 'dead-lettered', 'dismissed', 'not-found', 'already-redriven'],
    description:
      '`applied`: the consumer applied it now; `duplicate`: it had been applied meanwhile; `dead-lettered`: refused again (a new dead letter); `dismissed`: written off; ' +
      '`already-redriven`: see previousOutcome (`redriving`: another redrive runs, or one stopped mid-way and may be taken again a minute after it began)',
  })
  outcome!: string;
  @ApiPropertyOptional({ description: 'For already-redriven: what the earlier redrive did' }) previousOutcome?: string;
}

export class RedriveAnswerDto {
  @ApiProperty({ example: 'fulfillment' }) consumer!: string;
  @ApiProperty({ type: [RedriveResultDto] }) results!: RedriveResultDto[];
}
