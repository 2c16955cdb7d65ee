import type { Column } from '../../upsert';
import { col, DropFact, iso, num, PreOrderFacts } from './drop-fact';

/** rm_customer_pre_orders: one row per pre-order, by customer. */
export interface PreOrderRow extends PreOrderFacts {
  customerId: string;
  channel: string;
  fulfillment: string;
  locationId: string | null;
  tier: number;
  unitPrice: number;
  total: number;
  currency: string;
  placedAt: string;
  cancelledAt: string | null;
  returnCondition: string | null;
}

export const PRE_ORDER_EVENT_TYPES = [
  'PreOrderPlaced',
  'PreOrderCancelled',
  'RefundRequested',
  'ShipmentDispatched',
  'ShipmentDelivered',
  'ReadyForPickup',
  'PreOrderPickedUp',
  'ReturnRequested',
  'ReturnReceived',
  'ReturnRefunded',
] as const;

/** The hand-over state each hand-over event moves a pre-order to. */
export const HAND_OVER_TO: Readonly<Record<string, string>> = {
  ShipmentDispatched: 'dispatched',
  ShipmentDelivered: 'delivered',
  ReadyForPickup: 'ready-for-pickup',
  PreOrderPickedUp: 'picked-up',
};

/**
 * How an event after PreOrderPlaced moves the facts of its pre-order, on any row that carries
 * them (the full read-model row here, the restock reactor's narrow copy): the same row when the
 * event changes nothing (a repeated cancellation, hand-over step or return step), else a copy.
 */
export function progressPreOrder<P extends PreOrderFacts>(row: P, fact: DropFact): P {
  const { event } = fact;
  switch (event.type) {
    case 'PreOrderCancelled':
      return row.status === 'cancelled' ? row : { ...row, status: 'cancelled' };
    case 'RefundRequested':
      return row.refundRequested ? row : { ...row, refundRequested: true };
    case 'ShipmentDispatched':
    case 'ShipmentDelivered':
    case 'ReadyForPickup':
    case 'PreOrderPickedUp': {
      const to = HAND_OVER_TO[event.type];
      return row.handOver === to ? row : { ...row, handOver: to };
    }
    case 'ReturnRequested':
      return row.returnId ? row : { ...row, returnId: event.data.returnId, returnReason: event.data.reason, returnStatus: 'requested' };
    case 'ReturnReceived':
      return row.returnStatus !== 'requested' ? row : { ...row, returnStatus: 'received' };
    case 'ReturnRefunded':
      return row.returnStatus === 'refunded' || !row.returnId ? row : { ...row, returnStatus: 'refunded' };
    default:
      return row;
  }
}

/** Key of the row an event changes: the pre-order it names. */
export const preOrderKeyOf = (fact: DropFact): string | undefined => fact.preOrderId;

/** rm_customer_pre_orders: `row` is the pre-order the event names (null before PreOrderPlaced). */
export function evolvePreOrder(row: PreOrderRow | null, fact: DropFact): PreOrderRow | null {
  const { event } = fact;
  if (event.type === 'PreOrderPlaced') {
    if (row) return row;
    const d = event.data;
    return {
      preOrderId: d.preOrderId,
      customerId: d.customerId,
      dropId: fact.dropId,
      sku: d.sku,
      quantity: d.quantity,
      channel: d.channel,
      fulfillment: d.fulfillment.method,
      locationId: d.fulfillment.method === 'pickup' ? d.fulfillment.locationId : null,
      tier: d.tier,
      unitPrice: d.unitPrice,
      total: d.total,
      currency: d.currency,
      status: 'active',
      placedAt: d.placedAt,
      cancelledAt: null,
      refundRequested: false,
      handOver: 'awaiting',
      returnId: null,
      returnReason: null,
      returnCondition: null,
      returnStatus: null,
    };
  }
  if (!row) return null;
  const next = progressPreOrder(row, fact);
  if (next === row) return row;
  if (event.type === 'PreOrderCancelled') return { ...next, cancelledAt: event.data.cancelledAt };
  if (event.type === 'ReturnReceived') return { ...next, returnCondition: event.data.condition };
  return next;
}

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
