import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RETURN_CONDITIONS, RETURN_REASONS, SALES_CHANNELS, SELL_OUT_BEHAVIOURS } from '@dropline/domain';
import { StaffPhaseDto } from '@dropline/read-models';
import { FulfillmentDto } from '../pre-orders/place-pre-order/place-pre-order.dto';
import { DropDefinitionDto } from './schedule-drop/schedule-drop.dto';

// The answers of the command routes and of GET /drops/:dropId for staff, as the OpenAPI document
// shows them (drop-views.ts builds them). apps/engine/test/api-docs.e2e-spec.ts walks a drop through
// its life and checks every answer against these schemas with no property left undocumented, so a
// field added to a view without its line here fails that test.

const STATUSES = ['scheduled', 'early-access', 'open', 'closed', 'tipped', 'in-production', 'fulfilling', 'completed', 'cancelled'];
const UNITS_BY_SKU = { type: 'object', additionalProperties: { type: 'integer' }, example: { 'HH-M-NAVY': 20 } } as const;

/** POST /drops, PUT /drops/:dropId. */
export class DropCreatedDto {
  @ApiProperty({ description: 'The drop’s id (a UUID unless the request named one)' }) dropId!: string;
}

/** GET /drops/:dropId/members: one page of the members, in customer-id order. */
export class DropMembersPageDto {
  @ApiProperty() dropId!: string;
  @ApiProperty({ description: 'Members of the drop in all' }) members!: number;
  @ApiProperty({ type: [String] }) customerIds!: string[];
  @ApiPropertyOptional({ description: 'Present when more members follow: pass it as `after`' }) next?: string;
}

/** POST/DELETE of a drop's members. */
export class DropMembersAnswerDto {
  @ApiProperty() dropId!: string;
  @ApiProperty({ description: 'Customers granted members access after the command' }) members!: number;
}

export class DropWindowViewDto {
  @ApiProperty({ format: 'date-time' }) opensAt!: string;
  @ApiProperty({ format: 'date-time' }) closesAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) earlyAccessOpensAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) earlyAccessOpenedAt?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the public window opened (by the scheduler or by hand)' })
  openedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) closedAt?: string;
}

export class SkuViewDto {
  @ApiProperty() sku!: string;
  @ApiProperty() size!: string;
  @ApiProperty() colour!: string;
  @ApiProperty({ description: 'Edition cap' }) cap!: number;
  @ApiProperty({ description: 'Units accepted ever' }) accepted!: number;
  @ApiProperty({ description: 'Units pre-ordered now (accepted − cancelled)' }) net!: number;
  @ApiProperty() available!: number;
  @ApiProperty() soldOut!: boolean;
  @ApiProperty({ description: 'Units later access phases reserve (0 once the public window is open)' }) reservedForLaterPhases!: number;
  @ApiProperty({ description: 'Units the open phase may still sell; 0 before anything opens' }) availableInPhase!: number;
}

/** A phase in the decider's view: as staff see it in the read models, and when it opened. */
export class PhaseViewDto extends StaffPhaseDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'When it opened (a skipped phase opens with the next)' }) openedAt?: string;
}

export class AccessViewDto {
  @ApiPropertyOptional({ description: 'The phase open now' }) openPhase?: string;
  @ApiProperty({ type: [PhaseViewDto], description: 'Access phases in order, the public window last' }) phases!: PhaseViewDto[];
  @ApiProperty({ description: 'Customers granted members access' }) members!: number;
}

export class TierViewDto {
  @ApiProperty({ description: 'Index into definition.priceTiers of the tier the next pre-order is priced at' }) index!: number;
  @ApiProperty() unitPrice!: number;
  @ApiPropertyOptional() untilUnitsSold?: number;
  @ApiPropertyOptional() unitsLeftInTier?: number;
}

export class MoqViewDto {
  @ApiProperty() minimum!: number;
  @ApiProperty() netUnits!: number;
  @ApiProperty() remaining!: number;
  @ApiProperty() reached!: boolean;
  @ApiPropertyOptional({ format: 'date-time' }) tippedAt?: string;
}

export class RunSummaryDto {
  @ApiProperty() runId!: string;
  @ApiProperty({ enum: ['requested', 'started', 'completed'] }) status!: string;
  @ApiProperty(UNITS_BY_SKU) unitsBySku!: Record<string, number>;
  @ApiPropertyOptional() coveredPreOrders?: number;
}

export class CancellationDto {
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'date-time' }) cancelledAt!: string;
}

/** The decider's view of a drop: every drop command's answer. */
export class DropViewDto {
  @ApiProperty() dropId!: string;
  @ApiProperty({ enum: STATUSES }) status!: string;
  @ApiProperty({ type: DropDefinitionDto }) definition!: DropDefinitionDto;
  @ApiProperty({ format: 'date-time' }) scheduledAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) announcedAt?: string;
  @ApiProperty({ type: DropWindowViewDto }) window!: DropWindowViewDto;
  @ApiProperty({ type: [SkuViewDto] }) skus!: SkuViewDto[];
  @ApiProperty({ description: 'Units accepted ever (drives the price ladder)' }) unitsSold!: number;
  @ApiProperty({ description: 'Units pre-ordered now' }) netUnits!: number;
  @ApiProperty() available!: number;
  @ApiProperty() soldOut!: boolean;
  @ApiProperty({ enum: SELL_OUT_BEHAVIOURS }) onSellOut!: string;
  @ApiProperty({ type: AccessViewDto }) access!: AccessViewDto;
  @ApiProperty({ type: TierViewDto }) tier!: TierViewDto;
  @ApiProperty({ type: MoqViewDto }) moq!: MoqViewDto;
  @ApiProperty({ description: 'Active (not cancelled) pre-orders' }) preOrderCount!: number;
  @ApiProperty() cancelledPreOrderCount!: number;
  @ApiProperty({ type: [RunSummaryDto] }) productionRuns!: RunSummaryDto[];
  @ApiPropertyOptional({ type: CancellationDto }) cancellation?: CancellationDto;
  @ApiPropertyOptional({ format: 'date-time' }) completedAt?: string;
}

/** GET /drops/:dropId for staff: the view, and the stream revision it is as of. */
export class DropStateDto extends DropViewDto {
  @ApiProperty({ description: 'The drop stream’s revision the view is as of (0-based)' }) revision!: number;
}

/** POST /drops/:dropId/pre-orders: the placement, the same for every retry with its key. */
export class PreOrderAnswerDto {
  @ApiProperty() preOrderId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({ description: 'Price of one unit at its tier, integer minor units' }) unitPrice!: number;
  @ApiProperty({ description: 'What the customer owes, after basket and pickup discounts' }) total!: number;
  @ApiProperty({ description: 'ISO 4217' }) currency!: string;
}

export class PaymentTallyDto {
  @ApiProperty() authorized!: number;
  @ApiProperty() captured!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() refunded!: number;
}

/** A pre-order as its commands answer it (cancel, payments, refund requests, hand-over). */
export class PreOrderViewDto {
  @ApiProperty() dropId!: string;
  @ApiProperty() preOrderId!: string;
  @ApiProperty() customerId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({ enum: SALES_CHANNELS }) channel!: string;
  @ApiProperty({ type: FulfillmentDto }) fulfillment!: FulfillmentDto;
  @ApiPropertyOptional() referralCode?: string;
  @ApiProperty() unitPrice!: number;
  @ApiProperty() basketPercentOff!: number;
  @ApiProperty() pickupPercentOff!: number;
  @ApiProperty() total!: number;
  @ApiProperty({ description: 'Index into definition.priceTiers' }) tier!: number;
  @ApiProperty({ description: 'Acceptance order within the drop, from 1' }) sequence!: number;
  @ApiProperty({ format: 'date-time' }) placedAt!: string;
  @ApiProperty({ enum: ['active', 'cancelled'] }) status!: string;
  @ApiProperty({ description: 'Index of the access phase it was placed in' }) phaseIndex!: number;
  @ApiPropertyOptional({ format: 'date-time' }) cancelledAt?: string;
  @ApiProperty() refundRequested!: boolean;
  @ApiPropertyOptional({ type: PaymentTallyDto, description: 'Amounts by payment status, from the first payment fact on' })
  payment?: PaymentTallyDto;
  @ApiPropertyOptional() coveredByRunId?: string;
  @ApiProperty({ enum: ['awaiting', 'dispatched', 'delivered', 'ready-for-pickup', 'picked-up'] }) handOver!: string;
  @ApiPropertyOptional() trackingNumber?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'Delivery or pickup; the return window counts from it' }) handedOverAt?: string;
  @ApiPropertyOptional() returnId?: string;
  @ApiProperty({ description: 'ISO 4217' }) currency!: string;
}

/** A production run as its commands answer it. */
export class ProductionRunViewDto {
  @ApiProperty() dropId!: string;
  @ApiProperty() runId!: string;
  @ApiProperty(UNITS_BY_SKU) unitsBySku!: Record<string, number>;
  @ApiProperty({ enum: ['requested', 'started', 'completed'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) startedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) completedAt?: string;
  @ApiPropertyOptional({ description: 'Pre-orders the completed run covers' }) coveredPreOrders?: number;
  @ApiPropertyOptional({ ...UNITS_BY_SKU, description: 'Units made, as its completion reported them' }) producedBySku?: Record<
    string,
    number
  >;
  @ApiPropertyOptional({ ...UNITS_BY_SKU, description: 'Units rejected, as its completion reported them' }) rejectedBySku?: Record<
    string,
    number
  >;
}

/** A return as its commands answer it. */
export class ReturnViewDto {
  @ApiProperty() dropId!: string;
  @ApiProperty() returnId!: string;
  @ApiProperty() preOrderId!: string;
  @ApiProperty({ enum: RETURN_REASONS }) reason!: string;
  @ApiProperty({ enum: ['requested', 'received', 'refunded'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiPropertyOptional({ enum: RETURN_CONDITIONS }) condition?: string;
  @ApiPropertyOptional({ description: 'The payment provider’s refund id' }) providerRef?: string;
  @ApiPropertyOptional({ description: 'What the provider refunded through the return (integer minor units), once refunded' })
  refundedAmount?: number;
}
