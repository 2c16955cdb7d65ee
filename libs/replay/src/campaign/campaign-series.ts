import { DEMAND_STREAM_CATEGORY, DROP_STREAM_CATEGORY, DropDefinition, isValidDropId, upcast } from '@dropline/domain';
import { CampaignEvent, CampaignFileError } from './campaign-line';

export const DAY_MS = 86_400_000;
// Pre-order quantities are packed with their SKU index into one number; no pre-order is this large.
const QUANTITY_LIMIT = 1 << 20;

/** The daily history of one SKU of one drop: the only input a policy simulation reads. */
export interface SkuSeries {
  dropId: string;
  sku: string;
  /** `YYYY-MM-DD` of day 0 (UTC). */
  firstDay: string;
  /** Number of UTC days; every array below has this length. */
  days: number;
  /** Units on hand when the campaign starts: the SKU's edition cap (0 when the file has no definition). */
  initialStock: number;
  /** accepted + turnedAway: everything customers asked for. */
  demand: number[];
  /** Units of PreOrderPlaced. */
  accepted: number[];
  /** Units of DemandTurnedAway (sold-out and insufficient-stock rejections). */
  turnedAway: number[];
  /** Units of PreOrderCancelled: they become available again. */
  cancelled: number[];
  /** Units of ReturnReceived with condition `restockable`: they become available again. */
  returned: number[];
}

/** One drop of the campaign, as its definition describes it. */
export interface CampaignDrop {
  dropId: string;
  name: string | undefined;
  city: string | undefined;
  windowOpensAt: string | undefined;
  windowClosesAt: string | undefined;
}

/** A campaign reduced to per-SKU daily arrays, sorted by drop id then SKU. */
export interface CampaignSeries {
  drops: CampaignDrop[];
  series: SkuSeries[];
  events: number;
}

/** Day counts over a growing range of day numbers (days since the epoch). */
class DayCounts {
  private base = 0;
  private values: number[] = [];

  add(day: number, units: number): void {
    if (this.values.length === 0) this.base = day;
    if (day < this.base) {
      this.values = new Array<number>(this.base - day).fill(0).concat(this.values);
      this.base = day;
    }
    const i = day - this.base;
    while (this.values.length <= i) this.values.push(0);
    this.values[i] += units;
  }

  /** Dense array over [firstDay, firstDay + days). */
  slice(firstDay: number, days: number): number[] {
    const out = new Array<number>(days).fill(0);
    for (let i = 0; i < this.values.length; i++) {
      const d = this.base + i - firstDay;
      if (this.values[i] !== 0 && d >= 0 && d < days) out[d] += this.values[i];
    }
    return out;
  }
}

interface SkuAccumulator {
  index: number;
  accepted: DayCounts;
  turnedAway: DayCounts;
  cancelled: DayCounts;
  returned: DayCounts;
}

interface DropAccumulator {
  dropId: string;
  definition: DropDefinition | undefined;
  skus: Map<string, SkuAccumulator>;
  skuList: SkuAccumulator[];
  /** preOrderId → sku index × QUANTITY_LIMIT + quantity, for returns (they name only the pre-order). */
  preOrders: Map<string, number>;
  pendingReturns: Array<{ preOrderId: string; day: number; lineNumber: number }>;
  minDay: number;
  maxDay: number;
}

function isoDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Folds campaign events, in any order, into per-SKU daily series. Days are UTC days of the
 * domain instant each event carries (placedAt, cancelledAt, receivedAt, intervalEnd), never
 * of recordedAt: a replayed or imported history keeps its days.
 */
export class CampaignSeriesBuilder {
  private readonly drops = new Map<string, DropAccumulator>();
  private readonly dayCache = new Map<string, number>();
  private readonly streams = new Map<string, DropAccumulator | null>();
  private events = 0;

  /** Adds one event; events the replay does not read are counted and ignored. */
  add(event: CampaignEvent, lineNumber: number): void {
    this.events++;
    const type = event.type;
    if (
      type !== 'PreOrderPlaced' &&
      type !== 'DemandTurnedAway' &&
      type !== 'PreOrderCancelled' &&
      type !== 'ReturnReceived' &&
      type !== 'DropScheduled' &&
      type !== 'DropRevised'
    )
      return;
    const drop = this.dropOfStream(event.streamName);
    if (!drop) return;
    const fail = (problem: string): never => {
      throw new CampaignFileError(lineNumber, `${type}: ${problem}`);
    };
    let data: Record<string, unknown>;
    try {
      data = upcast(type, event.schemaVersion, event.data);
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    switch (type) {
      case 'DropScheduled':
      case 'DropRevised': {
        const definition = data.definition as DropDefinition | undefined;
        if (!definition || !Array.isArray(definition.variants)) fail('definition.variants is missing');
        drop.definition = definition;
        return;
      }
      case 'PreOrderPlaced': {
        const sku = text(data.sku, 'sku', fail);
        const quantity = units(data.quantity, 'quantity', fail);
        const day = this.dayOf(data.placedAt, 'placedAt', fail);
        const acc = this.sku(drop, sku);
        acc.accepted.add(day, quantity);
        // A number, not an object per pre-order: a campaign holds hundreds of thousands of them.
        drop.preOrders.set(text(data.preOrderId, 'preOrderId', fail), acc.index * QUANTITY_LIMIT + Math.min(quantity, QUANTITY_LIMIT - 1));
        this.touch(drop, day);
        return;
      }
      case 'DemandTurnedAway': {
        // The day the counts were flushed: earlier engines let an interval start at their last
        // non-empty flush, days before (even before the drop), but never end away from its counts.
        const day = this.dayOf(data.intervalEnd, 'intervalEnd', fail);
        this.sku(drop, text(data.sku, 'sku', fail)).turnedAway.add(day, units(data.units, 'units', fail));
        this.touch(drop, day);
        return;
      }
      case 'PreOrderCancelled': {
        const day = this.dayOf(data.cancelledAt, 'cancelledAt', fail);
        this.sku(drop, text(data.sku, 'sku', fail)).cancelled.add(day, units(data.quantity, 'quantity', fail));
        this.touch(drop, day);
        return;
      }
      case 'ReturnReceived': {
        if (data.condition !== 'restockable') return;
        const day = this.dayOf(data.receivedAt, 'receivedAt', fail);
        // ReturnReceived names the pre-order, not the SKU; its PreOrderPlaced may come later in a merged file.
        drop.pendingReturns.push({ preOrderId: text(data.preOrderId, 'preOrderId', fail), day, lineNumber });
        this.touch(drop, day);
        return;
      }
    }
  }

  /** The series, sorted by drop id then SKU so every later step is order-independent. */
  build(): CampaignSeries {
    const drops: CampaignDrop[] = [];
    const series: SkuSeries[] = [];
    for (const dropId of [...this.drops.keys()].sort(compare)) {
      const drop = this.drops.get(dropId)!;
      for (const pending of drop.pendingReturns) {
        const preOrder = drop.preOrders.get(pending.preOrderId);
        if (preOrder === undefined)
          throw new CampaignFileError(pending.lineNumber, `ReturnReceived: pre-order ${pending.preOrderId} is not in the file`);
        drop.skuList[Math.floor(preOrder / QUANTITY_LIMIT)].returned.add(pending.day, preOrder % QUANTITY_LIMIT);
      }
      drop.pendingReturns = [];
      const definition = drop.definition;
      const caps = new Map<string, number>();
      for (const variant of definition?.variants ?? []) {
        caps.set(variant.sku, variant.editionCap);
        this.sku(drop, variant.sku);
      }
      let { minDay, maxDay } = drop;
      const opens = firstOpensAt(definition);
      const closes = definition?.window?.closesAt;
      if (opens && Number.isFinite(Date.parse(opens))) minDay = Math.min(minDay, Math.floor(Date.parse(opens) / DAY_MS));
      if (closes && Number.isFinite(Date.parse(closes))) maxDay = Math.max(maxDay, Math.floor((Date.parse(closes) - 1) / DAY_MS));
      drops.push({
        dropId,
        name: definition?.name,
        city: definition?.city,
        windowOpensAt: definition?.window?.opensAt,
        windowClosesAt: definition?.window?.closesAt,
      });
      if (!Number.isFinite(minDay) || !Number.isFinite(maxDay)) continue;
      const days = maxDay - minDay + 1;
      for (const sku of [...drop.skus.keys()].sort(compare)) {
        const acc = drop.skus.get(sku)!;
        const accepted = acc.accepted.slice(minDay, days);
        const turnedAway = acc.turnedAway.slice(minDay, days);
        series.push({
          dropId,
          sku,
          firstDay: isoDay(minDay),
          days,
          initialStock: caps.get(sku) ?? 0,
          demand: accepted.map((u, i) => u + turnedAway[i]),
          accepted,
          turnedAway,
          cancelled: acc.cancelled.slice(minDay, days),
          returned: acc.returned.slice(minDay, days),
        });
      }
    }
    return { drops, series, events: this.events };
  }

  /** The drop of a `drop-<id>` or `demand-<id>` stream, undefined for other streams (cached per stream). */
  private dropOfStream(streamName: string): DropAccumulator | undefined {
    const cached = this.streams.get(streamName);
    if (cached !== undefined) return cached ?? undefined;
    const dash = streamName.indexOf('-');
    const category = streamName.slice(0, dash);
    const dropId = streamName.slice(dash + 1);
    const drop =
      (category === DROP_STREAM_CATEGORY || category === DEMAND_STREAM_CATEGORY) && isValidDropId(dropId) ? this.drop(dropId) : null;
    this.streams.set(streamName, drop);
    return drop ?? undefined;
  }

  private drop(dropId: string): DropAccumulator {
    let drop = this.drops.get(dropId);
    if (!drop) {
      drop = {
        dropId,
        definition: undefined,
        skus: new Map(),
        skuList: [],
        preOrders: new Map(),
        pendingReturns: [],
        minDay: Infinity,
        maxDay: -Infinity,
      };
      this.drops.set(dropId, drop);
    }
    return drop;
  }

  private sku(drop: DropAccumulator, sku: string): SkuAccumulator {
    let acc = drop.skus.get(sku);
    if (!acc) {
      acc = {
        index: drop.skuList.length,
        accepted: new DayCounts(),
        turnedAway: new DayCounts(),
        cancelled: new DayCounts(),
        returned: new DayCounts(),
      };
      drop.skus.set(sku, acc);
      drop.skuList.push(acc);
    }
    return acc;
  }

  private touch(drop: DropAccumulator, day: number): void {
    if (day < drop.minDay) drop.minDay = day;
    if (day > drop.maxDay) drop.maxDay = day;
  }

  // Instants written by the engine are `toISOString()` (UTC, `Z`): their day is the first ten
  // characters, cached, which saves a Date.parse per event on a million-event file.
  private dayOf(value: unknown, field: string, fail: (problem: string) => never): number {
    if (typeof value !== 'string') return fail(`${field} must be an ISO-8601 instant`);
    if (value.length >= 20 && value.charCodeAt(value.length - 1) === 90 /* Z */ && value.charCodeAt(10) === 84 /* T */) {
      const key = value.slice(0, 10);
      const cached = this.dayCache.get(key);
      if (cached !== undefined) return cached;
      const ms = Date.parse(key);
      if (Number.isNaN(ms)) return fail(`${field} must be an ISO-8601 instant`);
      const day = ms / DAY_MS;
      this.dayCache.set(key, day);
      return day;
    }
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) return fail(`${field} must be an ISO-8601 instant`);
    return Math.floor(ms / DAY_MS);
  }
}

/**
 * When the campaign's sales could start: the first access phase's opensAt (accessPhasesOf's first:
 * the first of `phases`, the `earlyAccess` shorthand, or the window). Read defensively, not through
 * accessPhasesOf: a campaign file's definition is data from elsewhere, not a validated definition.
 */
function firstOpensAt(definition: DropDefinition | undefined): string | undefined {
  const phases: unknown = definition?.phases;
  const first = Array.isArray(phases) ? (phases[0] as { opensAt?: unknown } | undefined)?.opensAt : undefined;
  if (typeof first === 'string') return first;
  return definition?.earlyAccess?.opensAt ?? definition?.window?.opensAt;
}

function text(value: unknown, field: string, fail: (problem: string) => never): string {
  if (typeof value !== 'string' || value.length === 0) return fail(`${field} must be a non-empty string`);
  return value;
}

function units(value: unknown, field: string, fail: (problem: string) => never): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return fail(`${field} must be a non-negative integer`);
  return value;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Builds the series of a list of events (tests, and replays straight from a store). */
export function campaignSeriesOf(events: Iterable<CampaignEvent>): CampaignSeries {
  const builder = new CampaignSeriesBuilder();
  let line = 0;
  for (const event of events) builder.add(event, ++line);
  return builder.build();
}
