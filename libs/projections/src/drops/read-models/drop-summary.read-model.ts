import { accessPhasesOf, tierIndexFor } from '@dropline/domain';
import type { DropDefinition, SellOutBehaviour } from '@dropline/domain';
import type { Column } from '../../upsert';
import type { PreOrderRow } from './customer-pre-orders.read-model';
import { col, DropFact, iso, num, parseInstant } from './drop-fact';

/** rm_drop_summary: one row per drop; its last_revision is the drop-level guard of every read model of the drop. */
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
  /** Public: ops announced it, or an access phase or the window opened (the storefront lists it). */
  announced: boolean;
  /**
   * The access phase open now (accessPhasesOf the definition: the public window's name once it
   * opened); null before the first opens and after the window closed or the drop was cancelled.
   */
  openPhase: string | null;
  onSellOut: SellOutBehaviour;
  /** Net units equal the sum of the edition caps: every SKU is sold out (the decider never lets a SKU pass its cap). */
  soldOut: boolean;
  /** Customers granted members access now. */
  members: number;
}

/** Every event of the drop read models moves the summary (at least its last revision). */
export const DROP_SUMMARY_EVENT_TYPES = [
  'DropScheduled',
  'DropRevised',
  'DropAnnounced',
  'DropMembersAdded',
  'DropMembersRemoved',
  'EarlyAccessOpened',
  'AccessPhaseOpened',
  'PreOrderWindowOpened',
  'PreOrderPlaced',
  'PreOrderCancelled',
  'PreOrderWindowClosed',
  'TippingPointReached',
  'DropCancelled',
  'RefundRequested',
  'ProductionRunRequested',
  'ProductionRunStarted',
  'ProductionRunCompleted',
  'ShipmentDispatched',
  'ShipmentDelivered',
  'ReadyForPickup',
  'PreOrderPickedUp',
  'ReturnRequested',
  'ReturnReceived',
  'ReturnRefunded',
  'DropCompleted',
] as const;

/**
 * True when the drop's read models apply an event at `revision`: the drop exists (or the event
 * creates it) and its rows have not seen that revision yet. All of a drop's events live in its
 * one stream and every row of the drop is written with its summary, so this guards them all.
 */
export function appliesTo(summary: DropSummaryRow | null | undefined, fact: DropFact): boolean {
  if (!summary) return fact.event.type === 'DropScheduled';
  return fact.event.type !== 'DropScheduled' && fact.revision > summary.lastRevision;
}

/** rm_drop_summary. Call only for a fact that `appliesTo` the row. Takes ownership of `row` (see OWNERSHIP in drop-fact.ts). */
export function evolveDropSummary(row: DropSummaryRow | null, fact: DropFact<PreOrderRow>): DropSummaryRow | null {
  const { event } = fact;
  let s: DropSummaryRow;
  if (event.type === 'DropScheduled') {
    if (row) return row;
    const definition = event.data.definition;
    s = {
      dropId: fact.dropId,
      name: definition.name,
      city: definition.city ?? null,
      currency: definition.currency,
      status: 'scheduled',
      earlyAccessOpensAt: definition.earlyAccess?.opensAt ?? null,
      opensAt: definition.window.opensAt,
      closesAt: definition.window.closesAt,
      tierInForce: 0,
      unitPriceInForce: definition.priceTiers[0].unitPrice,
      unitsSold: 0,
      netUnits: 0,
      activePreOrders: 0,
      minimumOrderQuantity: definition.minimumOrderQuantity,
      revenue: 0,
      revenueByTier: {},
      revenueByChannel: {},
      definition,
      lastRevision: -1,
      lastEventAt: null,
      announced: false,
      openPhase: null,
      onSellOut: definition.onSellOut ?? 'stay-open',
      soldOut: false,
      members: 0,
    };
  } else {
    if (!row) return null;
    s = row;
    evolveInto(s, fact);
  }
  s.lastRevision = fact.revision;
  if (!s.lastEventAt || later(fact, s.lastEventAt)) s.lastEventAt = fact.at;
  return s;
}

/** Applies an event to the row (which evolveDropSummary owns). */
function evolveInto(s: DropSummaryRow, fact: DropFact<PreOrderRow>): void {
  const { event } = fact;
  switch (event.type) {
    case 'DropRevised': {
      const d = event.data.definition;
      Object.assign(s, {
        definition: d,
        name: d.name,
        city: d.city ?? null,
        currency: d.currency,
        earlyAccessOpensAt: d.earlyAccess?.opensAt ?? null,
        opensAt: d.window.opensAt,
        closesAt: d.window.closesAt,
        minimumOrderQuantity: d.minimumOrderQuantity,
        onSellOut: d.onSellOut ?? 'stay-open',
      });
      s.soldOut = soldOut(s);
      s.tierInForce = tierIndexFor(d.priceTiers, s.unitsSold);
      s.unitPriceInForce = d.priceTiers[s.tierInForce].unitPrice;
      return;
    }
    case 'DropAnnounced':
      s.announced = true;
      return;
    case 'DropMembersAdded':
      s.members += event.data.customerIds.length;
      return;
    case 'DropMembersRemoved':
      // The decider lists only ids that were members (added: only new ones), so counting is exact.
      s.members -= event.data.customerIds.length;
      return;
    // Opening makes a drop public whether or not ops announced it first.
    case 'EarlyAccessOpened':
      // Stored before access phases existed: the opening of the `earlyAccess` shorthand's phase, the first.
      s.status = 'early-access';
      s.announced = true;
      s.openPhase = accessPhasesOf(s.definition)[0].name;
      return;
    case 'AccessPhaseOpened':
      s.status = 'early-access';
      s.announced = true;
      s.openPhase = event.data.phase;
      return;
    case 'PreOrderWindowOpened': {
      s.status = 'open';
      s.announced = true;
      // The public window is the last phase (named `public` unless the definition lists it under another name).
      const phases = accessPhasesOf(s.definition);
      s.openPhase = phases[phases.length - 1].name;
      return;
    }
    case 'PreOrderWindowClosed':
      s.status = 'closed';
      s.openPhase = null;
      return;
    case 'TippingPointReached':
      s.status = 'tipped';
      return;
    case 'DropCancelled':
      s.status = 'cancelled';
      s.openPhase = null;
      return;
    case 'DropCompleted':
      s.status = 'completed';
      return;
    case 'PreOrderPlaced': {
      const d = event.data;
      if (fact.preOrder) return;
      s.unitsSold += d.quantity;
      s.netUnits += d.quantity;
      s.activePreOrders += 1;
      addRevenue(s, String(d.tier), d.channel, d.total);
      s.tierInForce = tierIndexFor(s.definition.priceTiers, s.unitsSold);
      s.unitPriceInForce = s.definition.priceTiers[s.tierInForce].unitPrice;
      s.soldOut = soldOut(s);
      return;
    }
    case 'PreOrderCancelled': {
      const po = fact.preOrder;
      if (!po || po.status === 'cancelled') return;
      s.netUnits -= po.quantity;
      s.activePreOrders -= 1;
      addRevenue(s, String(po.tier), po.channel, -po.total);
      s.soldOut = soldOut(s);
      return;
    }
    case 'ProductionRunStarted':
      if (s.status === 'tipped') s.status = 'in-production';
      return;
    case 'ProductionRunCompleted':
      if (s.status === 'in-production' || s.status === 'tipped') s.status = 'fulfilling';
      return;
    default:
      return;
  }
}

/** True when the fact happened after `than`; two instants in toISOString's form compare as strings. */
function later(fact: DropFact, than: string): boolean {
  if (fact.at.length === 24 && than.length === 24 && fact.at.endsWith('Z') && than.endsWith('Z')) return fact.at > than;
  return fact.atMs > parseInstant(than);
}

/** Every SKU sold out: net units reach the sum of the caps (no SKU's net passes its own cap). O(variants). */
function soldOut(s: DropSummaryRow): boolean {
  let cap = 0;
  for (const v of s.definition.variants) cap += v.editionCap;
  return s.netUnits >= cap;
}

function addRevenue(s: DropSummaryRow, tier: string, channel: string, amount: number): void {
  s.revenue += amount;
  s.revenueByTier[tier] = (s.revenueByTier[tier] ?? 0) + amount;
  s.revenueByChannel[channel] = (s.revenueByChannel[channel] ?? 0) + amount;
}

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
  col('open_phase', 'text', (r) => r.openPhase),
  col('on_sell_out', 'text', (r) => r.onSellOut),
  col('sold_out', 'bool', (r) => r.soldOut),
  col('members', 'int4', (r) => r.members),
];

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
    openPhase: r.open_phase ?? null,
    onSellOut: r.on_sell_out,
    soldOut: r.sold_out === true,
    members: r.members,
  };
}
