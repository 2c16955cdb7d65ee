import type { DropDefinition } from '@dropline/domain';
import type { Column } from '../upsert';

// In-memory shapes of the rows the drop read-models projection folds, and their column maps.

/** rm_drop_summary */
export interface DropSummaryRow {
  dropId: string;
  name: string;
  city: string | null;
  currency: string;
  status: string;
  earlyAccessOpensAt: string | null;
  opensAt: string;
  closesAt: string;
  tierInForce: number;
  unitPriceInForce: number;
  unitsSold: number;
  netUnits: number;
  activePreOrders: number;
  minimumOrderQuantity: number;
  revenue: number;
  revenueByTier: Record<string, number>;
  revenueByChannel: Record<string, number>;
  definition: DropDefinition;
  lastRevision: number;
  lastEventAt: string | null;
  /** Public: ops announced it, or its early access or window opened (the storefront lists it). */
  announced: boolean;
}

/** rm_inventory */
export interface InventoryRow {
  dropId: string;
  sku: string;
  editionCap: number;
  unitsAccepted: number;
  unitsCancelled: number;
  unitsPreOrdered: number;
  unitsRefunded: number;
  unitsRequested: number;
  unitsProduced: number;
  unitsRejected: number;
  unitsShipped: number;
  unitsPickedUp: number;
  unitsDelivered: number;
  unitsReturnedRestockable: number;
  unitsReturnedNotRestockable: number;
  available: number;
  onHand: number;
}

/** rm_customer_pre_orders */
export interface PreOrderRow {
  preOrderId: string;
  customerId: string;
  dropId: string;
  sku: string;
  quantity: number;
  channel: string;
  fulfillment: string;
  locationId: string | null;
  tier: number;
  unitPrice: number;
  total: number;
  currency: string;
  status: 'active' | 'cancelled';
  placedAt: string;
  cancelledAt: string | null;
  refundRequested: boolean;
  handOver: string;
  returnId: string | null;
  returnReason: string | null;
  returnCondition: string | null;
  returnStatus: string | null;
}

/** rm_production_runs */
export interface ProductionRunRow {
  runId: string;
  dropId: string;
  microfactoryId: string;
  status: string;
  unitsBySku: Record<string, number>;
  producedBySku: Record<string, number> | null;
  rejectedBySku: Record<string, number> | null;
  requestedAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

/** rm_returns_by_reason */
export interface ReturnsByReasonRow {
  dropId: string;
  reason: string;
  returnsRequested: number;
  unitsRequested: number;
  unitsReceivedRestockable: number;
  unitsReceivedNotRestockable: number;
  returnsRefunded: number;
  amountRefunded: number;
}

/** rm_restock_thresholds: the reorder point with every input beside it. */
export interface RestockThresholdRow {
  dropId: string;
  sku: string;
  leadTimeDays: number;
  serviceLevel: number;
  windowStart: string;
  windowEnd: string | null;
  /** Units accepted per UTC day: epoch-day number → units (days without sales are absent here, zero in dailyUnits). */
  dailySales: Record<string, number>;
  /** The series fed to reorderPoint: one entry per day of the elapsed window, × (1 − restockable return rate). */
  dailyUnits: number[];
  unitsHandedOver: number;
  /** reason → { units, rate } where rate = units / units handed over. */
  returnsByReason: Record<string, { units: number; rate: number }>;
  restockableReturnRate: number;
  meanDailyUnits: number;
  stdDevDailyUnits: number;
  z: number;
  safetyStock: number;
  reorderPoint: number;
  available: number;
  aboveReorderPoint: boolean;
  crossings: number;
  lastCrossingAt: string | null;
}

const col = <R>(name: string, type: Column<R>['type'], get: (r: R) => unknown): Column<R> => ({ name, type, get });

export const SUMMARY_COLUMNS: Column<DropSummaryRow>[] = [
  col('drop_id', 'text', (r) => r.dropId),
  col('name', 'text', (r) => r.name),
  col('city', 'text', (r) => r.city),
  col('currency', 'text', (r) => r.currency),
  col('status', 'text', (r) => r.status),
  col('early_access_opens_at', 'timestamptz', (r) => r.earlyAccessOpensAt),
  col('opens_at', 'timestamptz', (r) => r.opensAt),
  col('closes_at', 'timestamptz', (r) => r.closesAt),
  col('tier_in_force', 'int4', (r) => r.tierInForce),
  col('unit_price_in_force', 'int8', (r) => r.unitPriceInForce),
  col('units_sold', 'int4', (r) => r.unitsSold),
  col('net_units', 'int4', (r) => r.netUnits),
  col('active_pre_orders', 'int4', (r) => r.activePreOrders),
  col('minimum_order_quantity', 'int4', (r) => r.minimumOrderQuantity),
  col('revenue', 'int8', (r) => r.revenue),
  col('revenue_by_tier', 'jsonb', (r) => r.revenueByTier),
  col('revenue_by_channel', 'jsonb', (r) => r.revenueByChannel),
  col('definition', 'jsonb', (r) => r.definition),
  col('last_revision', 'int4', (r) => r.lastRevision),
  col('last_event_at', 'timestamptz', (r) => r.lastEventAt),
  col('announced', 'bool', (r) => r.announced),
];

export const INVENTORY_COLUMNS: Column<InventoryRow>[] = [
  col('drop_id', 'text', (r) => r.dropId),
  col('sku', 'text', (r) => r.sku),
  col('edition_cap', 'int4', (r) => r.editionCap),
  col('units_accepted', 'int4', (r) => r.unitsAccepted),
  col('units_cancelled', 'int4', (r) => r.unitsCancelled),
  col('units_pre_ordered', 'int4', (r) => r.unitsPreOrdered),
  col('units_refunded', 'int4', (r) => r.unitsRefunded),
  col('units_requested', 'int4', (r) => r.unitsRequested),
  col('units_produced', 'int4', (r) => r.unitsProduced),
  col('units_rejected', 'int4', (r) => r.unitsRejected),
  col('units_shipped', 'int4', (r) => r.unitsShipped),
  col('units_picked_up', 'int4', (r) => r.unitsPickedUp),
  col('units_delivered', 'int4', (r) => r.unitsDelivered),
  col('units_returned_restockable', 'int4', (r) => r.unitsReturnedRestockable),
  col('units_returned_not_restockable', 'int4', (r) => r.unitsReturnedNotRestockable),
  col('available', 'int4', (r) => r.available),
  col('on_hand', 'int4', (r) => r.onHand),
];

export const PRE_ORDER_COLUMNS: Column<PreOrderRow>[] = [
  col('pre_order_id', 'text', (r) => r.preOrderId),
  col('customer_id', 'text', (r) => r.customerId),
  col('drop_id', 'text', (r) => r.dropId),
  col('sku', 'text', (r) => r.sku),
  col('quantity', 'int4', (r) => r.quantity),
  col('channel', 'text', (r) => r.channel),
  col('fulfillment', 'text', (r) => r.fulfillment),
  col('location_id', 'text', (r) => r.locationId),
  col('tier', 'int4', (r) => r.tier),
  col('unit_price', 'int8', (r) => r.unitPrice),
  col('total', 'int8', (r) => r.total),
  col('currency', 'text', (r) => r.currency),
  col('status', 'text', (r) => r.status),
  col('placed_at', 'timestamptz', (r) => r.placedAt),
  col('cancelled_at', 'timestamptz', (r) => r.cancelledAt),
  col('refund_requested', 'bool', (r) => r.refundRequested),
  col('hand_over', 'text', (r) => r.handOver),
  col('return_id', 'text', (r) => r.returnId),
  col('return_reason', 'text', (r) => r.returnReason),
  col('return_condition', 'text', (r) => r.returnCondition),
  col('return_status', 'text', (r) => r.returnStatus),
];

export const RUN_COLUMNS: Column<ProductionRunRow>[] = [
  col('run_id', 'text', (r) => r.runId),
  col('drop_id', 'text', (r) => r.dropId),
  col('microfactory_id', 'text', (r) => r.microfactoryId),
  col('status', 'text', (r) => r.status),
  col('units_by_sku', 'jsonb', (r) => r.unitsBySku),
  col('produced_by_sku', 'jsonb', (r) => r.producedBySku),
  col('rejected_by_sku', 'jsonb', (r) => r.rejectedBySku),
  col('requested_at', 'timestamptz', (r) => r.requestedAt),
  col('started_at', 'timestamptz', (r) => r.startedAt),
  col('completed_at', 'timestamptz', (r) => r.completedAt),
];

export const REASON_COLUMNS: Column<ReturnsByReasonRow>[] = [
  col('drop_id', 'text', (r) => r.dropId),
  col('reason', 'text', (r) => r.reason),
  col('returns_requested', 'int4', (r) => r.returnsRequested),
  col('units_requested', 'int4', (r) => r.unitsRequested),
  col('units_received_restockable', 'int4', (r) => r.unitsReceivedRestockable),
  col('units_received_not_restockable', 'int4', (r) => r.unitsReceivedNotRestockable),
  col('returns_refunded', 'int4', (r) => r.returnsRefunded),
  col('amount_refunded', 'int8', (r) => r.amountRefunded),
];

export const THRESHOLD_COLUMNS: Column<RestockThresholdRow>[] = [
  col('drop_id', 'text', (r) => r.dropId),
  col('sku', 'text', (r) => r.sku),
  col('lead_time_days', 'int4', (r) => r.leadTimeDays),
  col('service_level', 'float8', (r) => r.serviceLevel),
  col('window_start', 'timestamptz', (r) => r.windowStart),
  col('window_end', 'timestamptz', (r) => r.windowEnd),
  col('daily_sales', 'jsonb', (r) => r.dailySales),
  col('daily_units', 'jsonb', (r) => r.dailyUnits),
  col('units_handed_over', 'int4', (r) => r.unitsHandedOver),
  col('returns_by_reason', 'jsonb', (r) => r.returnsByReason),
  col('restockable_return_rate', 'float8', (r) => r.restockableReturnRate),
  col('mean_daily_units', 'float8', (r) => r.meanDailyUnits),
  col('std_dev_daily_units', 'float8', (r) => r.stdDevDailyUnits),
  col('z', 'float8', (r) => r.z),
  col('safety_stock', 'float8', (r) => r.safetyStock),
  col('reorder_point', 'float8', (r) => r.reorderPoint),
  col('available', 'int4', (r) => r.available),
  col('above_reorder_point', 'bool', (r) => r.aboveReorderPoint),
  col('crossings', 'int4', (r) => r.crossings),
  col('last_crossing_at', 'timestamptz', (r) => r.lastCrossingAt),
];

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
const num = (v: unknown): number => Number(v);

/** pg row → DropSummaryRow (bigint columns arrive as strings). */
export function summaryFromDb(r: Record<string, any>): DropSummaryRow {
  return {
    dropId: r.drop_id,
    name: r.name,
    city: r.city,
    currency: r.currency,
    status: r.status,
    earlyAccessOpensAt: iso(r.early_access_opens_at),
    opensAt: iso(r.opens_at)!,
    closesAt: iso(r.closes_at)!,
    tierInForce: r.tier_in_force,
    unitPriceInForce: num(r.unit_price_in_force),
    unitsSold: r.units_sold,
    netUnits: r.net_units,
    activePreOrders: r.active_pre_orders,
    minimumOrderQuantity: r.minimum_order_quantity,
    revenue: num(r.revenue),
    revenueByTier: r.revenue_by_tier,
    revenueByChannel: r.revenue_by_channel,
    definition: r.definition,
    lastRevision: r.last_revision,
    lastEventAt: iso(r.last_event_at),
    announced: r.announced === true,
  };
}

export function inventoryFromDb(r: Record<string, any>): InventoryRow {
  return {
    dropId: r.drop_id,
    sku: r.sku,
    editionCap: r.edition_cap,
    unitsAccepted: r.units_accepted,
    unitsCancelled: r.units_cancelled,
    unitsPreOrdered: r.units_pre_ordered,
    unitsRefunded: r.units_refunded,
    unitsRequested: r.units_requested,
    unitsProduced: r.units_produced,
    unitsRejected: r.units_rejected,
    unitsShipped: r.units_shipped,
    unitsPickedUp: r.units_picked_up,
    unitsDelivered: r.units_delivered,
    unitsReturnedRestockable: r.units_returned_restockable,
    unitsReturnedNotRestockable: r.units_returned_not_restockable,
    available: r.available,
    onHand: r.on_hand,
  };
}

export function preOrderFromDb(r: Record<string, any>): PreOrderRow {
  return {
    preOrderId: r.pre_order_id,
    customerId: r.customer_id,
    dropId: r.drop_id,
    sku: r.sku,
    quantity: r.quantity,
    channel: r.channel,
    fulfillment: r.fulfillment,
    locationId: r.location_id,
    tier: r.tier,
    unitPrice: num(r.unit_price),
    total: num(r.total),
    currency: r.currency,
    status: r.status,
    placedAt: iso(r.placed_at)!,
    cancelledAt: iso(r.cancelled_at),
    refundRequested: r.refund_requested,
    handOver: r.hand_over,
    returnId: r.return_id,
    returnReason: r.return_reason,
    returnCondition: r.return_condition,
    returnStatus: r.return_status,
  };
}

export function runFromDb(r: Record<string, any>): ProductionRunRow {
  return {
    runId: r.run_id,
    dropId: r.drop_id,
    microfactoryId: r.microfactory_id,
    status: r.status,
    unitsBySku: r.units_by_sku,
    producedBySku: r.produced_by_sku,
    rejectedBySku: r.rejected_by_sku,
    requestedAt: iso(r.requested_at)!,
    startedAt: iso(r.started_at),
    completedAt: iso(r.completed_at),
  };
}

export function reasonFromDb(r: Record<string, any>): ReturnsByReasonRow {
  return {
    dropId: r.drop_id,
    reason: r.reason,
    returnsRequested: r.returns_requested,
    unitsRequested: r.units_requested,
    unitsReceivedRestockable: r.units_received_restockable,
    unitsReceivedNotRestockable: r.units_received_not_restockable,
    returnsRefunded: r.returns_refunded,
    amountRefunded: num(r.amount_refunded),
  };
}

export function thresholdFromDb(r: Record<string, any>): RestockThresholdRow {
  return {
    dropId: r.drop_id,
    sku: r.sku,
    leadTimeDays: r.lead_time_days,
    serviceLevel: r.service_level,
    windowStart: iso(r.window_start)!,
    windowEnd: iso(r.window_end),
    dailySales: r.daily_sales,
    dailyUnits: r.daily_units,
    unitsHandedOver: r.units_handed_over,
    returnsByReason: r.returns_by_reason,
    restockableReturnRate: r.restockable_return_rate,
    meanDailyUnits: r.mean_daily_units,
    stdDevDailyUnits: r.std_dev_daily_units,
    z: r.z,
    safetyStock: r.safety_stock,
    reorderPoint: r.reorder_point,
    available: r.available,
    aboveReorderPoint: r.above_reorder_point,
    crossings: r.crossings,
    lastCrossingAt: iso(r.last_crossing_at),
  };
}
