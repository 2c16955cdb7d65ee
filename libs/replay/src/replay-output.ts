import type { ReplayResult, RunResult } from './replay';

/** Rounds to 6 decimals so the JSON does not depend on the last bits of float arithmetic; -0 becomes 0. */
export function round6(value: number): number {
  const rounded = Math.round(value * 1e6) / 1e6;
  return rounded === 0 ? 0 : rounded;
}

function roundDeep(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? round6(value) : null;
  if (Array.isArray(value)) return value.map(roundDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'onHand' && v !== undefined) out[k] = roundDeep(v);
    return out;
  }
  return value;
}

/**
 * The replay as JSON for scripts: numbers rounded to 6 decimals, keys in the order the
 * result is built, no timings. The same file and options give byte-identical output.
 */
export function replayJson(result: ReplayResult): string {
  return `${JSON.stringify(roundDeep({ format: 'dropline.replay/1', ...result }), null, 2)}\n`;
}

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  return cells.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

const fixed = (v: number | null, digits = 1): string => (v === null ? '–' : v.toFixed(digits));

// Thresholds per run and SKU: a column per SKU reads well up to a handful of SKUs; beyond that --json has them.
const MAX_THRESHOLD_COLUMNS = 8;

function thresholdTable(result: ReplayResult): string[] {
  const skus = result.campaign.skus;
  if (skus.length === 0 || result.runs.length === 0) return [];
  if (skus.length > MAX_THRESHOLD_COLUMNS) return [`Thresholds per SKU: ${skus.length} SKUs, see --json or --report.`, ''];
  const header = ['threshold / target', ...skus.map((s) => (result.campaign.drops.length > 1 ? `${s.dropId}/${s.sku}` : s.sku))];
  const rows = result.runs.map((run) => [run.label, ...run.skus.map((s) => `${s.threshold.toFixed(1)} / ${s.target.toFixed(1)}`)]);
  return ['Thresholds per SKU (reorder at / order up to):', pad([header, ...rows]), ''];
}

/** The terminal table: one row per run with totals over every SKU, then the recommendation per SKU. */
export function replayTable(result: ReplayResult): string {
  const header = ['policy', 'stock-out days', 'unmet', 'fill %', 'excess', 'restocks', 'restock units', 'avg cover d'];
  const rows = result.runs.map((run: RunResult) => [
    run.label,
    String(run.totals.stockOutDays),
    String(run.totals.unmetUnits),
    fixed(run.totals.fillRate * 100),
    String(run.totals.excessUnits),
    String(run.totals.restockRuns),
    String(run.totals.restockUnits),
    fixed(run.totals.avgDaysOfCover),
  ]);
  const skuHeader = ['drop/sku', 'recommended', 'threshold', 'target'];
  const skuRows = result.recommendations.map((r) => [`${r.dropId}/${r.sku}`, r.run, r.threshold.toFixed(2), r.target.toFixed(2)]);
  const skus = result.campaign.skus;
  const demand = skus.reduce((s, k) => s + k.demandUnits, 0);
  const turnedAway = skus.reduce((s, k) => s + k.turnedAwayUnits, 0);
  return [
    `${result.campaign.events} events, ${result.campaign.drops.length} drop(s), ${skus.length} SKU(s); demand ${demand} units of which ${turnedAway} turned away`,
    '',
    pad([header, ...rows]),
    '',
    ...thresholdTable(result),
    `Recommended per SKU (least excess at fill rate ≥ ${(result.targetFillRate * 100).toFixed(1)} %):`,
    pad([skuHeader, ...skuRows]),
    ...result.recommendations.map((r) => `  ${r.dropId}/${r.sku}: ${r.reason}`),
    '',
  ].join('\n');
}
