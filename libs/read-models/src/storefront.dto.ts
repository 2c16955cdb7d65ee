import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DROP_STATUSES } from './read-models.dto';

// The storefront view: what anonymous callers (and customers, tills, services) get from
// GET /drops, GET /drops/:dropId and GET /drops/:dropId/summary. Built from the drops read model
// only, never from the event log; no revenue, returns, production or microfactory
// (docs/security.md, "Two audiences"). Staff tokens get the full views instead.

export class StorefrontVariantDto {
  @ApiProperty() sku!: string;
  @ApiProperty() size!: string;
  @ApiProperty() colour!: string;
  @ApiProperty({ description: 'Price of one unit now (the tier in force), integer minor units of the currency' })
  unitPrice!: number;
  @ApiProperty({ description: 'Units that can still be pre-ordered (as of the read model)' })
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
  @ApiPropertyOptional({ type: StorefrontEarlyAccessDto, nullable: true }) earlyAccess!: StorefrontEarlyAccessDto | null;
  @ApiProperty({ type: [StorefrontVariantDto] }) variants!: StorefrontVariantDto[];
  @ApiProperty() soldOut!: boolean;
  @ApiProperty({ type: StorefrontFreshnessDto }) readModel!: StorefrontFreshnessDto;
}

export class StorefrontPageDto {
  @ApiProperty({ nullable: true, type: Object, description: '{ offset, limit } of the next page, null on the last' })
  next!: { offset: number; limit: number } | null;
  @ApiProperty({ type: [StorefrontDropDto] }) drops!: StorefrontDropDto[];
}
