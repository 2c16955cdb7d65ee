// Test support: the reference fold of the drop read models, written from the definitions
// and sharing no code with the projection, so a test can compare the projection with it.
import type { DropEvent } from '@dropline/domain';

export interface RefSku {
  edition_cap: number;
  units_pre_ordered: number;
  units_refunded: number;
  units_requested: number;
  units_produced: number;
  units_rejected: number;
  units_shipped: number;
  units_picked_up: number;
  units_delivered: number;
  units_returned_restockable: number;
  units_returned_not_restockable: number;
  available: number;
  on_hand: number;
}

/**
 * Folds one drop's events the simple way (inventory figures, status, units sold, gross revenue,
 * pre-orders, the open access phase, members, the sell-out behaviour and whether it is sold out).
 */
export function referenceFold(dropEvents: DropEvent[]) {
  const skus = new Map<string, RefSku>();
  const poSku = new Map<string, { sku: string; q: number; status: string; customer: string; refunded: boolean; total: number }>();
  let status = '';
  // Access, from the issue: the declared phases (or the earlyAccess shorthand's one), then the public window.
  let phaseNames: string[] = [];
  let openPhase: string | null = null;
  let onSellOut = '';
  const members = new Set<string>();
  let unitsSold = 0;
  let revenue = 0;
  let netRevenue = 0;
  const sales: Array<{ sku: string; at: string; units: number }> = [];
  const sku = (s: string) => skus.get(s)!;
  for (const e of dropEvents) {
    switch (e.type) {
      case 'DropScheduled': {
        const d = e.data.definition;
        const declared = d.phases ?? (d.earlyAccess ? [{ name: 'early-access', audience: 'repeat-customers' }] : []);
        phaseNames = declared.map((p) => p.name);
        if (declared.at(-1)?.audience !== 'everyone') phaseNames.push('public');
        onSellOut = d.onSellOut ?? 'stay-open';
        for (const v of d.variants) {
          skus.set(v.sku, {
            edition_cap: v.editionCap,
            units_pre_ordered: 0,
            units_refunded: 0,
            units_requested: 0,
            units_produced: 0,
            units_rejected: 0,
            units_shipped: 0,
            units_picked_up: 0,
            units_delivered: 0,
            units_returned_restockable: 0,
            units_returned_not_restockable: 0,
            available: 0,
            on_hand: 0,
          });
        }
        status = 'scheduled';
        break;
      }
      case 'DropMembersAdded':
        for (const id of e.data.customerIds) members.add(id);
        break;
      case 'DropMembersRemoved':
        for (const id of e.data.customerIds) members.delete(id);
        break;
      case 'EarlyAccessOpened':
        status = 'early-access';
        openPhase = phaseNames[0];
        break;
      case 'AccessPhaseOpened':
        status = 'early-access';
        openPhase = e.data.phase;
        break;
      case 'PreOrderWindowOpened':
        status = 'open';
        openPhase = phaseNames[phaseNames.length - 1];
        break;
      case 'PreOrderWindowClosed':
        status = 'closed';
        openPhase = null;
        break;
      case 'TippingPointReached':
        status = 'tipped';
        break;
      case 'DropCancelled':
        status = 'cancelled';
        openPhase = null;
        break;
      case 'ProductionRunStarted':
        status = 'in-production';
        break;
      case 'ProductionRunCompleted':
        status = 'fulfilling';
        for (const [s, u] of Object.entries(e.data.producedBySku)) sku(s).units_produced += u;
        for (const [s, u] of Object.entries(e.data.rejectedBySku)) sku(s).units_rejected += u;
        break;
      case 'PreOrderPlaced':
        poSku.set(e.data.preOrderId, {
          sku: e.data.sku,
          q: e.data.quantity,
          status: 'active',
          customer: e.data.customerId,
          refunded: false,
          total: e.data.total,
        });
        sku(e.data.sku).units_pre_ordered += e.data.quantity;
        unitsSold += e.data.quantity;
        revenue += e.data.total;
        netRevenue += e.data.total;
        sales.push({ sku: e.data.sku, at: e.data.placedAt, units: e.data.quantity });
        break;
      case 'PreOrderCancelled': {
        const p = poSku.get(e.data.preOrderId)!;
        p.status = 'cancelled';
        netRevenue -= p.total;
        sku(p.sku).units_pre_ordered -= p.q;
        break;
      }
      case 'RefundRequested': {
        const p = poSku.get(e.data.preOrderId)!;
        sku(p.sku).units_refunded += p.q;
        break;
      }
      case 'ReturnRefunded': {
        const p = poSku.get(e.data.preOrderId)!;
        sku(p.sku).units_refunded += p.q;
        break;
      }
      case 'ProductionRunRequested':
        for (const [s, u] of Object.entries(e.data.unitsBySku)) sku(s).units_requested += u;
        break;
      case 'ShipmentDispatched':
        sku(poSku.get(e.data.preOrderId)!.sku).units_shipped += poSku.get(e.data.preOrderId)!.q;
        break;
      case 'ShipmentDelivered':
        sku(poSku.get(e.data.preOrderId)!.sku).units_delivered += poSku.get(e.data.preOrderId)!.q;
        break;
      case 'PreOrderPickedUp':
        sku(poSku.get(e.data.preOrderId)!.sku).units_picked_up += poSku.get(e.data.preOrderId)!.q;
        break;
      case 'ReturnReceived': {
        const p = poSku.get(e.data.preOrderId)!;
        if (e.data.condition === 'restockable') sku(p.sku).units_returned_restockable += p.q;
        else sku(p.sku).units_returned_not_restockable += p.q;
        break;
      }
      default:
        break;
    }
  }
  for (const s of skus.values()) {
    s.available = s.edition_cap - s.units_pre_ordered + s.units_returned_restockable;
    s.on_hand = s.units_produced - s.units_rejected - s.units_shipped - s.units_picked_up + s.units_returned_restockable;
  }
  const soldOut = [...skus.values()].every((s) => s.units_pre_ordered === s.edition_cap);
  return { skus, poSku, status, unitsSold, revenue, netRevenue, sales, openPhase, members: members.size, onSellOut, soldOut };
}

/** The rm_inventory columns the reference fold computes. */
export const INVENTORY_FIGURES = [
  'edition_cap',
  'units_pre_ordered',
  'units_refunded',
  'units_requested',
  'units_produced',
  'units_rejected',
  'units_shipped',
  'units_picked_up',
  'units_delivered',
  'units_returned_restockable',
  'units_returned_not_restockable',
  'available',
  'on_hand',
] as const;
