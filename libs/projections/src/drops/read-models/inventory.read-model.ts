import type { Column } from '../../upsert';
import { col, DropFact } from './drop-fact';

/** rm_inventory: one row per (drop, SKU). */
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

export const INVENTORY_EVENT_TYPES = [
  'DropScheduled',
  'DropRevised',
  'PreOrderPlaced',
  'PreOrderCancelled',
  'RefundRequested',
  'ProductionRunRequested',
  'ProductionRunCompleted',
  'ShipmentDispatched',
  'ShipmentDelivered',
  'PreOrderPickedUp',
  'ReturnReceived',
  'ReturnRefunded',
] as const;

/**
 * The SKUs whose rows an event changes. `existing`: the SKUs the drop has rows for (a revision
 * that stops listing one deletes it).
 */
export function inventorySkusOf(fact: DropFact, existing: Iterable<string>): readonly string[] {
  const { event } = fact;
  switch (event.type) {
    case 'DropScheduled':
    case 'DropRevised':
      return [...new Set([...existing, ...event.data.definition.variants.map((v) => v.sku)])];
    case 'PreOrderPlaced':
      return [event.data.sku];
    case 'ProductionRunRequested':
      return Object.keys(event.data.unitsBySku);
    case 'ProductionRunCompleted':
      return [...new Set([...Object.keys(event.data.producedBySku), ...Object.keys(event.data.rejectedBySku)])];
    case 'PreOrderCancelled':
    case 'RefundRequested':
    case 'ShipmentDispatched':
    case 'ShipmentDelivered':
    case 'PreOrderPickedUp':
    case 'ReturnReceived':
    case 'ReturnRefunded':
      return fact.preOrder ? [fact.preOrder.sku] : NONE;
    default:
      return NONE;
  }
}

const NONE: readonly string[] = [];

/**
 * rm_inventory for one (drop, SKU) of `inventorySkusOf`: null when the SKU has no row (or loses
 * it: a revision no longer lists it). A SKU first named by an event other than the definition
 * (a production run of an unlisted SKU) gets a row with a cap of 0, as it always has.
 */
export function evolveInventory(row: InventoryRow | null, fact: DropFact, sku: string): InventoryRow | null {
  const { event } = fact;
  const po = fact.preOrder;
  // First decide whether the event changes the row at all (the guards), then change it.
  switch (event.type) {
    case 'DropScheduled':
    case 'DropRevised':
      if (!event.data.definition.variants.some((v) => v.sku === sku)) return null;
      break;
    case 'PreOrderPlaced':
    case 'ProductionRunCompleted':
      if (event.type === 'PreOrderPlaced' && po) return row;
      break;
    case 'ProductionRunRequested':
      if (fact.runKnown) return row;
      break;
    case 'PreOrderCancelled':
      if (!po || po.status === 'cancelled') return row;
      break;
    case 'RefundRequested':
      if (!po || po.refundRequested) return row;
      break;
    case 'ShipmentDispatched':
    case 'ShipmentDelivered':
    case 'PreOrderPickedUp':
      if (!po || po.handOver === HANDED_OVER[event.type]) return row;
      break;
    case 'ReturnReceived':
      if (!po || po.returnStatus !== 'requested') return row;
      break;
    case 'ReturnRefunded':
      if (!po || po.returnStatus === 'refunded' || !po.returnId) return row;
      break;
    default:
      return row;
  }
  const inv = row ?? emptyInventory(fact.dropId, sku);
  switch (event.type) {
    case 'DropScheduled':
    case 'DropRevised':
      inv.editionCap = event.data.definition.variants.find((v) => v.sku === sku)!.editionCap;
      break;
    case 'PreOrderPlaced':
      inv.unitsAccepted += event.data.quantity;
      inv.unitsPreOrdered += event.data.quantity;
      break;
    case 'PreOrderCancelled':
      inv.unitsCancelled += po!.quantity;
      inv.unitsPreOrdered -= po!.quantity;
      break;
    case 'RefundRequested':
    case 'ReturnRefunded':
      inv.unitsRefunded += po!.quantity;
      break;
    case 'ProductionRunRequested':
      inv.unitsRequested += event.data.unitsBySku[sku] ?? 0;
      break;
    case 'ProductionRunCompleted':
      inv.unitsProduced += event.data.producedBySku[sku] ?? 0;
      inv.unitsRejected += event.data.rejectedBySku[sku] ?? 0;
      break;
    case 'ShipmentDispatched':
      inv.unitsShipped += po!.quantity;
      break;
    case 'ShipmentDelivered':
      inv.unitsDelivered += po!.quantity;
      break;
    case 'PreOrderPickedUp':
      inv.unitsPickedUp += po!.quantity;
      break;
    case 'ReturnReceived':
      if (event.data.condition === 'restockable') inv.unitsReturnedRestockable += po!.quantity;
      else inv.unitsReturnedNotRestockable += po!.quantity;
      break;
    default:
      break;
  }
  // available = cap − net pre-ordered + restockable returns; on hand = produced − rejected − handed over + restockable returns.
  inv.available = inv.editionCap - inv.unitsPreOrdered + inv.unitsReturnedRestockable;
  inv.onHand = inv.unitsProduced - inv.unitsRejected - inv.unitsShipped - inv.unitsPickedUp + inv.unitsReturnedRestockable;
  return inv;
}

/** The hand-over state each counted hand-over event moves a pre-order to. */
const HANDED_OVER: Record<string, string> = {
  ShipmentDispatched: 'dispatched',
  ShipmentDelivered: 'delivered',
  PreOrderPickedUp: 'picked-up',
};

export function emptyInventory(dropId: string, sku: string): InventoryRow {
  return {
    dropId,
    sku,
    editionCap: 0,
    unitsAccepted: 0,
    unitsCancelled: 0,
    unitsPreOrdered: 0,
    unitsRefunded: 0,
    unitsRequested: 0,
    unitsProduced: 0,
    unitsRejected: 0,
    unitsShipped: 0,
    unitsPickedUp: 0,
    unitsDelivered: 0,
    unitsReturnedRestockable: 0,
    unitsReturnedNotRestockable: 0,
    available: 0,
    onHand: 0,
  };
}

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
