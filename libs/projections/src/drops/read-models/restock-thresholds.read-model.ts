import { accessPhasesOf, DAY_MS, reorderPoint } from '@dropline/domain';
import type { Column } from '../../upsert';
import { col, DropFact, iso, parseInstant } from './drop-fact';
import type { InventoryRow } from './inventory.read-model';

/** Date.parse, remembered: the window start and end of a SKU change only now and then. */
const parsed = new Map<string, number>();
const DAY = DAY_MS;
function instant(iso: string): number {
  let ms = parsed.get(iso);
  if (ms === undefined) {
    if (parsed.size >= 4096) parsed.clear();
    parsed.set(iso, (ms = parseInstant(iso)));
  }
  return ms;
}

/** rm_restock_thresholds: the reorder point of one (drop, SKU) with every input beside it. */
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
  /** The event that made the last crossing (RestockRecommended names it as causation), and its correlation id. */
  lastCrossingEventId: string | null;
  lastCrossingCorrelationId: string | null;
}

/**
 * Every event of the drop read models: the reorder point is a function of time (the elapsed
 * window grows with each event's instant), so each event refreshes each SKU's row and may count
 * a crossing.
 */
export { DROP_SUMMARY_EVENT_TYPES as RESTOCK_THRESHOLD_EVENT_TYPES } from './drop-summary.read-model';

/**
 * The input of one threshold row's evolve: the drop event, plus what the threshold is computed
 * from besides its own row, as it stands *after* the event: the SKU's inventory row (available
 * units, restockable returns) and the drop's window close.
 */
export interface ThresholdInput extends DropFact {
  inventory: InventoryRow | undefined;
  /** Date.parse of the window close in force after the event. */
  closesAtMs: number;
  /** Service level of a row the event creates (probability of no stock-out during the lead time). */
  serviceLevel: number;
}

/** The SKUs whose rows an event may change: every SKU of the drop, and on a (re)definition the SKUs it lists. */
export function thresholdSkusOf(fact: DropFact, existing: Iterable<string>): Iterable<string> {
  const { event } = fact;
  if (event.type === 'DropScheduled' || event.type === 'DropRevised')
    return [...new Set([...existing, ...event.data.definition.variants.map((v) => v.sku)])];
  return existing;
}

/**
 * rm_restock_thresholds for one (drop, SKU): applies the event's own change (a definition, a
 * sale, a hand-over, a return request), then recomputes the reorder point as of the event's
 * instant and counts a crossing when available stock goes from above the reorder point to at
 * or below it. Runs for every SKU after every event, so the count does not depend on page
 * boundaries (a rebuild gives the same rows as live processing). The reorder point is
 * recomputed only when one of its inputs moved: the elapsed window (whole days), the sales, the
 * restockable return rate, the lead time or window start; otherwise the row's stored figures stand.
 */
export function evolveRestockThreshold(row: RestockThresholdRow | null, input: ThresholdInput, sku: string): RestockThresholdRow | null {
  // Takes ownership of `row` (see OWNERSHIP in drop-fact.ts).
  const { event } = input;
  const po = input.preOrder;
  let t = row;
  let inputsMoved = false;
  switch (event.type) {
    case 'DropScheduled':
    case 'DropRevised': {
      const d = event.data.definition;
      if (!d.variants.some((v) => v.sku === sku)) return null;
      t ??= emptyThreshold(input.dropId, sku, input.serviceLevel);
      t.leadTimeDays = d.production.leadTimeDays;
      // Demand starts with the first access phase (the public window when there is none before it).
      t.windowStart = accessPhasesOf(d)[0].opensAt;
      if (input.inventory) t.available = input.inventory.available;
      inputsMoved = true;
      break;
    }
    case 'EarlyAccessOpened':
    case 'AccessPhaseOpened':
    case 'PreOrderWindowOpened': {
      // Opened by hand before its opensAt (`POST /drops/:id/open`, `…/phases/:phase/open`): demand
      // starts when the drop actually opened, or its first days of sales would fall outside the
      // series. A definition cannot change once a phase opened, so nothing moves the start back.
      if (!t || instant(event.data.openedAt) >= instant(t.windowStart)) break;
      t.windowStart = event.data.openedAt;
      inputsMoved = true;
      break;
    }
    case 'PreOrderPlaced': {
      if (!t || po || event.data.sku !== sku) break;
      const day = String(Math.floor(parseInstant(event.data.placedAt) / DAY));
      t.dailySales[day] = (t.dailySales[day] ?? 0) + event.data.quantity;
      inputsMoved = true;
      break;
    }
    case 'ReturnRequested': {
      if (!t || !po || po.returnId || po.sku !== sku) break;
      const reason = event.data.reason;
      const prev = t.returnsByReason[reason]?.units ?? 0;
      t.returnsByReason[reason] = { units: prev + po.quantity, rate: 0 };
      break;
    }
    case 'ShipmentDelivered':
    case 'PreOrderPickedUp': {
      const to = event.type === 'ShipmentDelivered' ? 'delivered' : 'picked-up';
      if (!t || !po || po.handOver === to || po.sku !== sku) break;
      t.unitsHandedOver += po.quantity;
      inputsMoved = true;
      break;
    }
    default:
      break;
  }
  if (!t || !input.inventory) return t;
  return refresh(t, inputsMoved, input);
}

/** Recomputes the reorder point as of the event's instant. */
function refresh(t: RestockThresholdRow, inputsMoved: boolean, input: ThresholdInput): RestockThresholdRow {
  const inv = input.inventory!;
  const startMs = instant(t.windowStart);
  const endMs = Math.min(input.closesAtMs, input.atMs + 1);
  const firstDay = Math.floor(startMs / DAY);
  const lastDay = endMs > startMs ? Math.floor((endMs - 1) / DAY) : firstDay - 1;
  const storedLastDay = t.windowEnd === null ? firstDay - 1 : Math.floor((instant(t.windowEnd) - 1) / DAY);
  const rate = t.unitsHandedOver > 0 ? Math.min(1, inv.unitsReturnedRestockable / t.unitsHandedOver) : 0;
  const recompute = inputsMoved || lastDay !== storedLastDay || rate !== t.restockableReturnRate;
  for (const reason in t.returnsByReason) {
    const r = t.returnsByReason[reason];
    r.rate = t.unitsHandedOver > 0 ? r.units / t.unitsHandedOver : 0;
  }
  const n = t;
  if (recompute) {
    // Restockable returns come back to stock, so only (1 − rate) of each day's sales is net demand on it.
    const dailyUnits: number[] = [];
    for (let day = firstDay; day <= lastDay; day++) dailyUnits.push((t.dailySales[String(day)] ?? 0) * (1 - rate));
    const result = reorderPoint({ dailyUnits, leadTimeDays: t.leadTimeDays, serviceLevel: t.serviceLevel });
    n.dailyUnits = result.dailyUnits;
    n.windowEnd = endMs > startMs ? new Date(endMs).toISOString() : null;
    n.restockableReturnRate = rate;
    n.meanDailyUnits = result.meanDailyUnits;
    n.stdDevDailyUnits = result.stdDevDailyUnits;
    n.z = result.z;
    n.safetyStock = result.safetyStock;
    n.reorderPoint = result.reorderPoint;
  }
  n.available = inv.available;
  const above = n.available > n.reorderPoint;
  if (n.aboveReorderPoint && !above) {
    n.crossings += 1;
    n.lastCrossingAt = input.at;
    n.lastCrossingEventId = input.eventId;
    n.lastCrossingCorrelationId = input.correlationId;
  }
  n.aboveReorderPoint = above;
  return n;
}

export function emptyThreshold(dropId: string, sku: string, serviceLevel: number): RestockThresholdRow {
  return {
    dropId,
    sku,
    leadTimeDays: 0,
    serviceLevel,
    windowStart: '',
    windowEnd: null,
    dailySales: {},
    dailyUnits: [],
    unitsHandedOver: 0,
    returnsByReason: {},
    restockableReturnRate: 0,
    meanDailyUnits: 0,
    stdDevDailyUnits: 0,
    z: 0,
    safetyStock: 0,
    reorderPoint: 0,
    available: 0,
    aboveReorderPoint: true,
    crossings: 0,
    lastCrossingAt: null,
    lastCrossingEventId: null,
    lastCrossingCorrelationId: null,
  };
}

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
  col('last_crossing_event_id', 'text', (r) => r.lastCrossingEventId),
  col('last_crossing_correlation_id', 'text', (r) => r.lastCrossingCorrelationId),
];

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
    lastCrossingEventId: r.last_crossing_event_id ?? null,
    lastCrossingCorrelationId: r.last_crossing_correlation_id ?? null,
  };
}
