import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PHASE_AUDIENCES, SELL_OUT_BEHAVIOURS } from '@dropline/domain';
import { DROP_STATUSES } from './read-models.dto';

// The storefront view: what anonymous callers (and customers, tills, services) get from
// GET /drops, GET /drops/:dropId and GET /drops/:dropId/summary. Built from the drops read model
// only, never from the event log; no revenue, returns, production or microfactory
// (docs/security.md, "Two audiences"), and of access phases only their name, audience, time and
// status: never who the members are nor the units a phase reserves. Staff tokens get the full views instead.

export class StorefrontVariantDto {
  @ApiProperty() sku!: string;
  @ApiProperty() size!: string;
  @ApiProperty() colour!: string;
  @ApiProperty({ description: 'Price of one unit now (the tier in force), integer minor units of the currency' })
  unitPrice!: number;
  @ApiProperty({
    description:
      'Units that can still be pre-ordered (as of the read model), in every phase together: units a later phase reserves count here',
  })
  remaining!: number;
  @ApiProperty() soldOut!: boolean;
}

export class StorefrontWindowDto {
  @ApiProperty({ format: 'date-time' }) opensAt!: string;
  @ApiProperty({ format: 'date-time' }) closesAt!: string;
}

export class StorefrontEarlyAccessDto {
  @ApiProperty({ format: 'date-time' }) opensAt!: string;
  @ApiProperty({ enum: ['repeat-customers'] }) audience!: string;
}

export class StorefrontPhaseDto {
  @ApiProperty({ example: 'members' }) name!: string;
  @ApiProperty({
    enum: PHASE_AUDIENCES,
    description: 'Who may buy from this phase on (with every earlier phase’s audience); `everyone` is the public window',
  })
  audience!: string;
  @ApiProperty({ format: 'date-time', description: 'When the scheduler opens it (ops may open it earlier)' }) opensAt!: string;
  @ApiProperty({
    enum: ['upcoming', 'open', 'past'],
    description: '`past`: it opened and a later one followed, or the drop closed (or was cancelled) before it could open',
  })
  status!: string;
}

export class StorefrontFreshnessDto {
  @ApiProperty({ description: "The drop stream's revision the view reflects (0-based)" })
  asOfRevision!: number;
  @ApiProperty({ nullable: true, type: String, description: "The drops projection's checkpoint (a log position)" })
  asOfPosition!: string | null;
  @ApiProperty({ description: 'How far the drops read model is behind the log, in seconds (measured at most a second ago)' })
  lagSeconds!: number;
}

export class StorefrontDropDto {
  @ApiProperty() dropId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) city!: string | null;
  @ApiProperty({ description: 'ISO 4217; every amount is integer minor units of it' }) currency!: string;
  @ApiProperty({ enum: DROP_STATUSES }) status!: string;
  @ApiProperty({ type: StorefrontWindowDto }) window!: StorefrontWindowDto;
  @ApiPropertyOptional({
    type: StorefrontEarlyAccessDto,
    nullable: true,
    description:
      'The `earlyAccess` shorthand as the drop was scheduled with it, or null (kept for existing clients; `phases` lists every phase)',
  })
  earlyAccess!: StorefrontEarlyAccessDto | null;
  @ApiProperty({ type: [StorefrontPhaseDto], description: 'Access phases in order, the public window last' })
  phases!: StorefrontPhaseDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Name of the phase open now; null before the first opens and once the window closed',
  })
  openPhase!: string | null;
  @ApiProperty({
    enum: SELL_OUT_BEHAVIOURS,
    description:
      'What the drop does when its last unit sells: `stay-open` (the window stays open until closesAt; a cancellation frees units to buy again) or `close` (the window closes at sell-out and the tipping point is decided at once)',
  })
  onSellOut!: string;
  @ApiProperty({ type: [StorefrontVariantDto] }) variants!: StorefrontVariantDto[];
  @ApiProperty({ description: 'Every variant is sold out; `onSellOut` and `status` say whether the window stayed open' })
  soldOut!: boolean;
  @ApiProperty({ type: StorefrontFreshnessDto }) readModel!: StorefrontFreshnessDto;
}

export class StorefrontPageDto {
  @ApiProperty({ nullable: true, type: Object, description: '{ offset, limit } of the next page, null on the last' })
  next!: { offset: number; limit: number } | null;
  @ApiProperty({ type: [StorefrontDropDto] }) drops!: StorefrontDropDto[];
}
