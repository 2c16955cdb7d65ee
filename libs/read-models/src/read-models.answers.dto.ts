import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RETURN_CONDITIONS, RETURN_REASONS, SALES_CHANNELS, SELL_OUT_BEHAVIOURS } from '@dropline/domain';
import { DROP_STATUSES } from './read-models.dto';
import { StorefrontPhaseDto } from './storefront.dto';

const oneOf = (values: readonly string[]) => `one of ${values.join(', ')}; null without a return`;

// The staff answers of the read-model routes as the OpenAPI document shows them (the controller
// builds them from the rm_* rows). apps/engine/test/api-docs.e2e-spec.ts checks real answers against
// these schemas with no property left undocumented.

const COUNTS_BY_KEY = { type: 'object', additionalProperties: { type: 'number' } } as const;

export class ReadModelFreshnessDto {
  @ApiProperty({ example: 'drops' }) projection!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The projection’s checkpoint (a log position); null before its first event' })
  checkpoint!: string | null;
  @ApiProperty({ description: 'How far it is behind the head of the log, in seconds' }) lagSeconds!: number;
  @ApiProperty({
    nullable: true,
    type: Number,
    description: 'Events it would handle after its checkpoint; null where the store cannot count them',
  })
  lagEvents!: number | null;
}

export class PageCursorDto {
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}

export class InventorySkuDto {
  @ApiProperty() sku!: string;
  @ApiProperty() editionCap!: number;
  @ApiProperty({ description: 'Units accepted ever' }) unitsAccepted!: number;
  @ApiProperty() unitsCancelled!: number;
  @ApiProperty({ description: 'Units pre-ordered now' }) unitsPreOrdered!: number;
  @ApiProperty() unitsRefunded!: number;
  @ApiProperty({ description: 'Units in production runs requested' }) unitsRequested!: number;
  @ApiProperty() unitsProduced!: number;
  @ApiProperty({ description: 'Units rejected at quality control' }) unitsRejected!: number;
  @ApiProperty() unitsShipped!: number;
  @ApiProperty() unitsPickedUp!: number;
  @ApiProperty() unitsDelivered!: number;
  @ApiProperty() unitsReturnedRestockable!: number;
  @ApiProperty() unitsReturnedNotRestockable!: number;
  @ApiProperty({ description: 'Units that can still be pre-ordered' }) available!: number;
  @ApiProperty({ description: 'Produced units not yet handed over, plus restockable returns' }) onHand!: number;
}

export class InventoryDto {
  @ApiProperty() dropId!: string;
  @ApiProperty({ type: [InventorySkuDto] }) skus!: InventorySkuDto[];
  @ApiProperty({ type: ReadModelFreshnessDto }) readModel!: ReadModelFreshnessDto;
}

export class ReturnRateDto {
  @ApiProperty() units!: number;
  @ApiProperty({ description: 'units / units handed over' }) rate!: number;
}

export class ThresholdInputsDto {
  @ApiProperty({
    format: 'date-time',
    description: 'Start of the demand series: the first access phase, or the actual opening when earlier',
  })
  windowStart!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'End of the elapsed window; null before it starts' })
  windowEnd!: string | null;
  @ApiProperty({ type: [Number], description: 'Net daily demand fed to the formula, one entry per UTC day of the elapsed window' })
  dailyUnits!: number[];
  @ApiProperty({ ...COUNTS_BY_KEY, description: 'Units accepted per UTC day: epoch-day number → units' })
  dailySales!: Record<string, number>;
  @ApiProperty() meanDailyUnits!: number;
  @ApiProperty() stdDevDailyUnits!: number;
  @ApiProperty() leadTimeDays!: number;
  @ApiProperty() serviceLevel!: number;
  @ApiProperty({ description: 'Φ⁻¹(serviceLevel)' }) z!: number;
  @ApiProperty() safetyStock!: number;
  @ApiProperty({ description: 'Units delivered or picked up' }) unitsHandedOver!: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ReturnRateDto' },
    description: 'Return reason → units and rate',
  })
  returnsByReason!: Record<string, ReturnRateDto>;
  @ApiProperty() restockableReturnRate!: number;
}

export class ThresholdSkuDto {
  @ApiProperty() sku!: string;
  @ApiProperty({ description: 'd̄ · L + z · σ · √L (docs/read-models.md)' }) reorderPoint!: number;
  @ApiProperty() available!: number;
  @ApiProperty() aboveReorderPoint!: boolean;
  @ApiProperty({ description: 'Times available went from above the reorder point to at or below it' }) crossings!: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastCrossingAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The event that made the last crossing' }) lastCrossingEventId!: string | null;
  @ApiProperty({ type: ThresholdInputsDto }) inputs!: ThresholdInputsDto;
}

export class RestockThresholdsDto {
  @ApiProperty() dropId!: string;
  @ApiProperty({ type: [ThresholdSkuDto] }) skus!: ThresholdSkuDto[];
  @ApiProperty({ type: ReadModelFreshnessDto }) readModel!: ReadModelFreshnessDto;
}

export class CustomerPreOrderDto {
  @ApiProperty() preOrderId!: string;
  @ApiProperty() dropId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({ enum: SALES_CHANNELS }) channel!: string;
  @ApiProperty({ enum: ['ship', 'pickup'] }) fulfillment!: string;
  @ApiProperty({ nullable: true, type: String }) locationId!: string | null;
  @ApiProperty() tier!: number;
  @ApiProperty() unitPrice!: number;
  @ApiProperty() total!: number;
  @ApiProperty() currency!: string;
  @ApiProperty({ enum: ['active', 'cancelled'] }) status!: string;
  @ApiProperty({ format: 'date-time' }) placedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) cancelledAt!: string | null;
  @ApiProperty() refundRequested!: boolean;
  @ApiProperty({ enum: ['awaiting', 'dispatched', 'delivered', 'ready-for-pickup', 'picked-up'] }) handOver!: string;
  @ApiProperty({ nullable: true, type: String }) returnId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: oneOf(RETURN_REASONS) }) returnReason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: oneOf(RETURN_CONDITIONS) }) returnCondition!: string | null;
  @ApiProperty({ nullable: true, type: String, description: oneOf(['requested', 'received', 'refunded']) }) returnStatus!: string | null;
}

export class CustomerPreOrdersDto {
  @ApiProperty() customerId!: string;
  @ApiProperty({ type: PageCursorDto, nullable: true, description: 'The next page’s offset and limit; null on the last page' })
  next!: PageCursorDto | null;
  @ApiProperty({ type: [CustomerPreOrderDto] }) preOrders!: CustomerPreOrderDto[];
  @ApiProperty({ type: ReadModelFreshnessDto }) readModel!: ReadModelFreshnessDto;
}

export class StaffWindowDto {
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) earlyAccessOpensAt!: string | null;
  @ApiProperty({ format: 'date-time' }) opensAt!: string;
  @ApiProperty({ format: 'date-time' }) closesAt!: string;
}

/** A phase as staff see it: the storefront's, and the units it reserves. */
export class StaffPhaseDto extends StorefrontPhaseDto {
  @ApiPropertyOptional({ ...COUNTS_BY_KEY, description: 'Units per SKU reserved for this phase' }) allocation?: Record<string, number>;
}

export class StaffAccessDto {
  @ApiProperty({ nullable: true, type: String }) openPhase!: string | null;
  @ApiProperty({ type: [StaffPhaseDto] }) phases!: StaffPhaseDto[];
  @ApiProperty({ description: 'Customers granted members access' }) members!: number;
}

export class TierInForceDto {
  @ApiProperty() index!: number;
  @ApiProperty({ nullable: true, type: Number }) unitPrice!: number | null;
}

export class RevenueDto {
  @ApiProperty({ nullable: true, type: Number, description: 'Integer minor units' }) total!: number | null;
  @ApiProperty({ ...COUNTS_BY_KEY, description: 'Tier index → revenue' }) byTier!: Record<string, number>;
  @ApiProperty({ ...COUNTS_BY_KEY, description: 'Channel → revenue' }) byChannel!: Record<string, number>;
}

export class MoqProgressDto {
  @ApiProperty() minimumOrderQuantity!: number;
  @ApiProperty() netUnits!: number;
  @ApiProperty({ description: 'netUnits / minimumOrderQuantity' }) progress!: number;
  @ApiProperty() reached!: boolean;
}

/** One drop of GET /drops for staff (ops, analyst), from rm_drop_summary. */
export class StaffDropSummaryDto {
  @ApiProperty() dropId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) city!: string | null;
  @ApiProperty() currency!: string;
  @ApiProperty({ enum: DROP_STATUSES }) status!: string;
  @ApiProperty() announced!: boolean;
  @ApiProperty({ type: StaffWindowDto }) window!: StaffWindowDto;
  @ApiProperty({ type: StaffAccessDto }) access!: StaffAccessDto;
  @ApiProperty({ enum: SELL_OUT_BEHAVIOURS }) onSellOut!: string;
  @ApiProperty() soldOut!: boolean;
  @ApiProperty({ type: TierInForceDto }) tierInForce!: TierInForceDto;
  @ApiProperty() unitsSold!: number;
  @ApiProperty() netUnits!: number;
  @ApiProperty() activePreOrders!: number;
  @ApiProperty({ type: RevenueDto }) revenue!: RevenueDto;
  @ApiProperty({ type: MoqProgressDto }) moq!: MoqProgressDto;
}

export class StaffDropPageDto {
  @ApiProperty({ type: [StaffDropSummaryDto] }) drops!: StaffDropSummaryDto[];
  @ApiProperty({ type: PageCursorDto, nullable: true, description: 'The next page’s offset and limit; null on the last page' })
  next!: PageCursorDto | null;
  @ApiProperty({ type: ReadModelFreshnessDto }) readModel!: ReadModelFreshnessDto;
}

export class RunRowDto {
  @ApiProperty() runId!: string;
  @ApiProperty() microfactoryId!: string;
  @ApiProperty({ enum: ['requested', 'started', 'completed'] }) status!: string;
  @ApiProperty(COUNTS_BY_KEY) unitsBySku!: Record<string, number>;
  @ApiProperty({ ...COUNTS_BY_KEY, nullable: true }) producedBySku!: Record<string, number> | null;
  @ApiProperty({ ...COUNTS_BY_KEY, nullable: true }) rejectedBySku!: Record<string, number> | null;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completedAt!: string | null;
}

export class ReturnsByReasonRowDto {
  @ApiProperty({ enum: RETURN_REASONS }) reason!: string;
  @ApiProperty() returnsRequested!: number;
  @ApiProperty() unitsRequested!: number;
  @ApiProperty() unitsReceivedRestockable!: number;
  @ApiProperty() unitsReceivedNotRestockable!: number;
  @ApiProperty() returnsRefunded!: number;
  @ApiProperty({ description: 'Integer minor units' }) amountRefunded!: number;
}

/** GET /drops/:dropId/summary for staff: the drop's summary with its runs, returns and freshness. */
export class StaffDropDetailDto extends StaffDropSummaryDto {
  @ApiProperty({ type: [RunRowDto] }) productionRuns!: RunRowDto[];
  @ApiProperty({ type: [ReturnsByReasonRowDto] }) returnsByReason!: ReturnsByReasonRowDto[];
  @ApiProperty({ type: ReadModelFreshnessDto }) readModel!: ReadModelFreshnessDto;
}
