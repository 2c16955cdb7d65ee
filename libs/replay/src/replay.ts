import type { CampaignDrop, CampaignSeries, SkuSeries } from './campaign/campaign-series';
import { DAY_MS } from './campaign/campaign-series';
import type { PolicyParams, RestockPolicy } from './policies/restock-policy';
import { simulate } from './simulate';

/** The grid of one policy: every combination of its axes, lead time and review period. */
export interface PolicyGrid {
  policy: RestockPolicy;
  params: PolicyParams[];
}

/** Values per axis; `leadTimeDays` and `reviewDays` apply to every policy. */
export interface GridValues {
  leadTimeDays: readonly number[];
  reviewDays: readonly number[];
  /** Keyed by PolicyAxis.key; the axis defaults are used for keys not given. */
  axes?: Readonly<Record<string, readonly number[]>>;
}

/** The longest lead time or review period a grid takes: a drop's production lead time is at most a year too. */
const MAX_DAYS = 365;

/**
 * Every combination for `policy`, outermost axis first (the policy's own axes, then lead time,
 * then review period), so 3 service levels × 3 lead times × 3 reviews is 27 runs in a fixed order.
 */
export function policyGrid(policy: RestockPolicy, values: GridValues): PolicyGrid {
  for (const l of values.leadTimeDays)
    if (!(Number.isInteger(l) && l >= 1 && l <= MAX_DAYS))
      throw new Error(`lead time ${l} must be a whole number of days, 1 to ${MAX_DAYS}`);
  for (const r of values.reviewDays)
    if (!(Number.isInteger(r) && r >= 1 && r <= MAX_DAYS))
      throw new Error(`review period ${r} must be a whole number of days, 1 to ${MAX_DAYS}`);
  let combos: Array<Record<string, number>> = [{}];
  for (const axis of policy.axes) {
    const axisValues = values.axes?.[axis.key] ?? axis.defaults;
    axisValues.forEach((v) => axis.validate(v));
    combos = combos.flatMap((c) => axisValues.map((v) => ({ ...c, [axis.key]: v })));
  }
  const params: PolicyParams[] = [];
  for (const c of combos)
    for (const leadTimeDays of values.leadTimeDays)
      for (const reviewDays of values.reviewDays) params.push({ ...c, leadTimeDays, reviewDays });
  return { policy, params };
}

/** A short stable label of one run: `reorder-point serviceLevel=0.95 L=7 R=1`. */
export function runLabel(policy: RestockPolicy, params: PolicyParams): string {
  const own = policy.axes.map((a) => `${a.flag}=${params[a.key]}`).join(' ');
  return `${policy.name}${own ? ` ${own}` : ''} L=${params.leadTimeDays} R=${params.reviewDays}`;
}

export interface ReplayOptions {
  grids: PolicyGrid[];
  /** A policy qualifies for the recommendation when it serves at least this share of demand (0..1). */
  targetFillRate: number;
}

export interface SkuRunResult {
  dropId: string;
  sku: string;
  threshold: number;
  target: number;
  explanation: string;
  stockOutDays: number;
  unmetUnits: number;
  fillRate: number;
  excessUnits: number;
  restockRuns: number;
  restockUnits: number;
  restocks: Array<{ orderedOn: string; arrivesOn: string; units: number }>;
  avgDaysOfCover: number | null;
}

export interface RunResult {
  label: string;
  policy: string;
  params: PolicyParams;
  totals: {
    stockOutDays: number;
    unmetUnits: number;
    fillRate: number;
    excessUnits: number;
    restockRuns: number;
    restockUnits: number;
    avgDaysOfCover: number | null;
  };
  skus: SkuRunResult[];
}

export interface SkuSummary {
  dropId: string;
  sku: string;
  firstDay: string;
  days: number;
  initialStock: number;
  demandUnits: number;
  acceptedUnits: number;
  turnedAwayUnits: number;
  cancelledUnits: number;
  returnedUnits: number;
}

export interface Recommendation {
  dropId: string;
  sku: string;
  run: string;
  policy: string;
  params: PolicyParams;
  threshold: number;
  target: number;
  reason: string;
}

/** The whole answer of a replay; deterministic for the same campaign and options. */
export interface ReplayResult {
  campaign: { events: number; drops: CampaignDrop[]; skus: SkuSummary[] };
  targetFillRate: number;
  runs: RunResult[];
  recommendations: Recommendation[];
}

const sum = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0);
const fillRateOf = (demand: number, unmet: number): number => (demand === 0 ? 1 : (demand - unmet) / demand);

function dayAfter(firstDay: string, offset: number): string {
  return new Date(Date.parse(firstDay) + offset * DAY_MS).toISOString().slice(0, 10);
}

/** Replays every SKU of the campaign against every point of every grid. */
export function replayCampaign(campaign: CampaignSeries, options: ReplayOptions): ReplayResult {
  const demandTotals = campaign.series.map((s) => sum(s.demand));
  const runs: RunResult[] = [];
  for (const grid of options.grids) {
    for (const params of grid.params) {
      const skus = campaign.series.map((series, i) => runSku(series, demandTotals[i], grid.policy, params));
      const covers = skus.map((s) => s.avgDaysOfCover).filter((c): c is number => c !== null);
      const unmetUnits = sum(skus.map((s) => s.unmetUnits));
      runs.push({
        label: runLabel(grid.policy, params),
        policy: grid.policy.name,
        params,
        totals: {
          stockOutDays: sum(skus.map((s) => s.stockOutDays)),
          unmetUnits,
          fillRate: fillRateOf(sum(demandTotals), unmetUnits),
          excessUnits: sum(skus.map((s) => s.excessUnits)),
          restockRuns: sum(skus.map((s) => s.restockRuns)),
          restockUnits: sum(skus.map((s) => s.restockUnits)),
          avgDaysOfCover: covers.length === 0 ? null : sum(covers) / covers.length,
        },
        skus,
      });
    }
  }
  return {
    campaign: { events: campaign.events, drops: campaign.drops, skus: campaign.series.map(summarise) },
    targetFillRate: options.targetFillRate,
    runs,
    recommendations: campaign.series.map((series, i) => recommend(series, i, runs, options.targetFillRate)),
  };
}

function runSku(series: SkuSeries, demandTotal: number, policy: RestockPolicy, params: PolicyParams): SkuRunResult {
  const levels = policy.levels(series.demand, params);
  const outcome = simulate(series, levels, params.leadTimeDays, params.reviewDays);
  return {
    dropId: series.dropId,
    sku: series.sku,
    threshold: levels.threshold,
    target: levels.target,
    explanation: levels.explanation,
    stockOutDays: outcome.stockOutDays,
    unmetUnits: outcome.unmetUnits,
    fillRate: fillRateOf(demandTotal, outcome.unmetUnits),
    excessUnits: outcome.excessUnits,
    restockRuns: outcome.restocks.length,
    restockUnits: outcome.restockUnits,
    restocks: outcome.restocks.map((r) => ({
      orderedOn: dayAfter(series.firstDay, r.orderedDay),
      arrivesOn: dayAfter(series.firstDay, r.arrivalDay),
      units: r.units,
    })),
    avgDaysOfCover: outcome.avgDaysOfCover,
  };
}

function summarise(series: SkuSeries): SkuSummary {
  return {
    dropId: series.dropId,
    sku: series.sku,
    firstDay: series.firstDay,
    days: series.days,
    initialStock: series.initialStock,
    demandUnits: sum(series.demand),
    acceptedUnits: sum(series.accepted),
    turnedAwayUnits: sum(series.turnedAway),
    cancelledUnits: sum(series.cancelled),
    returnedUnits: sum(series.returned),
  };
}

/** A run and its result for one SKU, with the run's place in the grid (for stable tie-breaks). */
export interface SkuCandidate {
  run: RunResult;
  sku: SkuRunResult;
  order: number;
}

/**
 * The best of `candidates` for one SKU: among those that meet the target fill rate, the one that
 * leaves the least excess (then fewer restock runs, then the lower threshold, then grid order);
 * when none meets it, the one with the best fill rate (then least excess, then grid order).
 */
export function bestCandidate(candidates: readonly SkuCandidate[], targetFillRate: number): { chosen: SkuCandidate; qualifying: number } {
  const qualifying = candidates.filter((c) => c.sku.fillRate >= targetFillRate);
  if (qualifying.length > 0) {
    const chosen = [...qualifying].sort(
      (a, b) =>
        a.sku.excessUnits - b.sku.excessUnits ||
        a.sku.restockRuns - b.sku.restockRuns ||
        a.sku.threshold - b.sku.threshold ||
        a.order - b.order,
    )[0];
    return { chosen, qualifying: qualifying.length };
  }
  const chosen = [...candidates].sort(
    (a, b) => b.sku.fillRate - a.sku.fillRate || a.sku.excessUnits - b.sku.excessUnits || a.order - b.order,
  )[0];
  return { chosen, qualifying: 0 };
}

/** The candidates of SKU `index` (its position in campaign.series), optionally of one policy. */
export function candidatesFor(runs: readonly RunResult[], index: number, policy?: string): SkuCandidate[] {
  return runs.map((run, order) => ({ run, sku: run.skus[index], order })).filter((c) => policy === undefined || c.run.policy === policy);
}

function recommend(series: SkuSeries, index: number, runs: RunResult[], targetFillRate: number): Recommendation {
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
  const { chosen, qualifying } = bestCandidate(candidatesFor(runs, index), targetFillRate);
  const reason =
    qualifying > 0
      ? `${qualifying} of ${runs.length} runs serve at least ${pct(targetFillRate)} of demand; this one leaves the least excess (${chosen.sku.excessUnits} units) with ${chosen.sku.restockRuns} restock run(s), fill rate ${pct(chosen.sku.fillRate)}, ${chosen.sku.stockOutDays} stock-out day(s)`
      : `no run serves ${pct(targetFillRate)} of demand; this one serves the most (${pct(chosen.sku.fillRate)}, ${chosen.sku.unmetUnits} units unmet) with the least excess among the best (${chosen.sku.excessUnits} units)`;
  return {
    dropId: series.dropId,
    sku: series.sku,
    run: chosen.run.label,
    policy: chosen.run.policy,
    params: chosen.run.params,
    threshold: chosen.sku.threshold,
    target: chosen.sku.target,
    reason,
  };
}
