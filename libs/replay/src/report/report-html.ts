import type { CampaignSeries, SkuSeries } from '../campaign/campaign-series';
import { DAY_MS } from '../campaign/campaign-series';
import { policyNamed } from '../policies';
import { bestCandidate, candidatesFor, ReplayResult } from '../replay';
import { simulate } from '../simulate';
import { escapeHtml, lineChart, scatterChart } from './svg-chart';

const POLICY_COLORS = ['#d95f02', '#1b9e77', '#7570b3', '#e7298a', '#66a61e', '#e6ab02'];
const COLORS = { demand: '#c0392b', accepted: '#e08e0b', available: '#2c3e50', onHand: '#2471a3' };

/** Per-SKU charts beyond this many are left out (the tables still list every SKU): the file must stay openable. */
export const MAX_SKU_CHARTS = 60;

export interface ReportOptions {
  title?: string;
  /** Where the campaign came from (file name or `store: drop-…`), shown in the header. */
  source: string;
}

const fmt = (v: number | null, digits = 2): string => (v === null ? '–' : v.toFixed(digits));
const cumulative = (values: readonly number[]): number[] => {
  let sum = 0;
  return values.map((v) => (sum += v));
};

function dayLabels(series: SkuSeries): string[] {
  const start = Date.parse(series.firstDay);
  return Array.from({ length: series.days }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

/**
 * One self-contained HTML file: inline CSS, inline SVG charts drawn here, a few lines of inline
 * JS for the SKU filter; nothing is fetched. Deterministic like the JSON (no clock, fixed rounding).
 */
export function renderReport(result: ReplayResult, campaign: CampaignSeries, options: ReportOptions): string {
  const policies = [...new Set(result.runs.map((r) => r.policy))];
  const colorOf = Object.fromEntries(policies.map((p, i) => [p, POLICY_COLORS[i % POLICY_COLORS.length]]));
  const title = options.title ?? 'Dropline campaign replay';

  const tradeoff = scatterChart({
    cls: 'chart-tradeoff',
    title: 'Stock-outs vs excess across the grid (all SKUs)',
    points: result.runs.map((run) => ({
      x: run.totals.unmetUnits,
      y: run.totals.excessUnits,
      label: run.label,
      group: run.policy,
      highlighted: result.recommendations.some((r) => r.run === run.label),
    })),
    colors: colorOf,
    xLabel: 'units of demand unmet',
    yLabel: 'units left over (excess)',
  });

  const skuSections = campaign.series.slice(0, MAX_SKU_CHARTS).map((series, index) => {
    const recommendation = result.recommendations[index];
    const policy = policyNamed(recommendation.policy);
    const levels = policy.levels(series.demand, recommendation.params);
    const outcome = simulate(series, levels, recommendation.params.leadTimeDays, recommendation.params.reviewDays, true);
    const cumDemand = cumulative(series.demand);
    const cumAccepted = cumulative(series.accepted);
    const cumBack = cumulative(series.cancelled.map((c, i) => c + series.returned[i]));
    const available = cumAccepted.map((a, i) => series.initialStock - a + cumBack[i]);
    const lines = policies.map((name) => {
      const { chosen } = bestCandidate(candidatesFor(result.runs, index, name), result.targetFillRate);
      return {
        name: `${name} threshold ${fmt(chosen.sku.threshold, 1)} (${chosen.run.label.slice(name.length + 1)})`,
        color: colorOf[name],
        value: chosen.sku.threshold,
      };
    });
    const chart = lineChart({
      cls: 'chart-cumulative',
      title: `${series.dropId} / ${series.sku}: cumulative demand vs available stock`,
      dayLabels: dayLabels(series),
      yLabel: 'units',
      series: [
        { name: 'cumulative demand (incl. turned away)', color: COLORS.demand, values: cumDemand },
        { name: 'cumulative accepted', color: COLORS.accepted, values: cumAccepted, dashed: true },
        { name: 'available as it happened', color: COLORS.available, values: available, step: true },
        { name: `on hand, recommended policy`, color: COLORS.onHand, values: outcome.onHand ?? [], step: true },
      ],
      lines,
    });
    const summary = result.campaign.skus[index];
    return `<section class="sku" data-sku="${escapeHtml(`${series.dropId}/${series.sku}`.toLowerCase())}">
<h3>${escapeHtml(series.dropId)} / ${escapeHtml(series.sku)}</h3>
<p class="facts">${series.days} days from ${series.firstDay}; edition cap ${summary.initialStock}; demand ${summary.demandUnits} units (${summary.acceptedUnits} accepted, ${summary.turnedAwayUnits} turned away); ${summary.cancelledUnits} cancelled and ${summary.returnedUnits} returned restockable.</p>
<p class="recommendation"><strong>Recommended threshold ${fmt(recommendation.threshold)}</strong> (order up to ${fmt(recommendation.target)}) with <code>${escapeHtml(recommendation.run)}</code>: ${escapeHtml(recommendation.reason)}. <span class="explain">${escapeHtml(levels.explanation)}</span></p>
${chart}
</section>`;
  });
  const omitted = campaign.series.length - skuSections.length;

  const recRows = result.recommendations
    .map(
      (r) =>
        `<tr><td class="id">${escapeHtml(r.dropId)}</td><td class="id">${escapeHtml(r.sku)}</td><td class="num">${fmt(r.threshold)}</td><td class="num">${fmt(r.target)}</td><td><code>${escapeHtml(r.run)}</code></td><td>${escapeHtml(r.reason)}</td></tr>`,
    )
    .join('\n');
  const runRows = result.runs
    .map((run) => {
      const t = run.totals;
      const recommended = result.recommendations.some((r) => r.run === run.label);
      return `<tr${recommended ? ' class="recommended"' : ''}><td><span class="swatch" style="background:${colorOf[run.policy]}"></span><code>${escapeHtml(run.label)}</code></td><td class="num">${t.stockOutDays}</td><td class="num">${t.unmetUnits}</td><td class="num">${fmt(t.fillRate * 100, 1)}</td><td class="num">${t.excessUnits}</td><td class="num">${t.restockRuns}</td><td class="num">${t.restockUnits}</td><td class="num">${fmt(t.avgDaysOfCover, 1)}</td></tr>`;
    })
    .join('\n');
  const totals = result.campaign.skus.reduce((a, s) => ({ demand: a.demand + s.demandUnits, away: a.away + s.turnedAwayUnits }), {
    demand: 0,
    away: 0,
  });

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d2329; margin: 24px auto; max-width: 1100px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #dde2e6; padding-bottom: 4px; } h3 { font-size: 15px; margin: 24px 0 4px; }
.meta, .facts { color: #5b6670; margin: 4px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #e6e9ec; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f6f8; } td.id { white-space: nowrap; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.recommended td { background: #fff8e1; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
svg .grid { stroke: #eceff1; } svg .axis { stroke: #8a949c; } svg text { font-size: 11px; fill: #4a545c; } svg .axis-label { font-size: 12px; fill: #1d2329; }
svg .point:hover { stroke: #111; stroke-width: 1.5; }
.recommendation { background: #f4f9f4; border-left: 3px solid #1b9e77; padding: 6px 10px; }
.explain { color: #5b6670; font-size: 12px; }
#filter { padding: 4px 8px; width: 260px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Source: ${escapeHtml(options.source)} · ${result.campaign.events} events · ${result.campaign.drops.length} drop(s) · ${result.campaign.skus.length} SKU(s) · demand ${totals.demand} units, ${totals.away} of them turned away · ${result.runs.length} policy runs · target fill rate ${fmt(result.targetFillRate * 100, 1)} %</p>
<p class="meta">Each run replays the campaign day by day (UTC): restocks ordered at the end of a review day arrive L days later; cancellations and restockable returns go back on hand; demand beyond what is on hand is unmet.</p>

<h2>Recommended threshold per SKU</h2>
<table class="recommendations">
<thead><tr><th>drop</th><th>SKU</th><th>threshold</th><th>order up to</th><th>run</th><th>why</th></tr></thead>
<tbody>
${recRows}
</tbody>
</table>

<h2>Trade-off across the grid</h2>
<p class="meta">One point per run, totals over every SKU; ringed: the run recommended for at least one SKU. Down and left is better.</p>
${tradeoff}

<h2>Every run</h2>
<table class="runs">
<thead><tr><th>policy run</th><th>stock-out days</th><th>unmet</th><th>fill %</th><th>excess</th><th>restocks</th><th>restock units</th><th>avg cover (days)</th></tr></thead>
<tbody>
${runRows}
</tbody>
</table>

<h2>Per SKU: cumulative demand vs available stock</h2>
<p><label>Filter SKUs <input id="filter" type="search" placeholder="drop or SKU"></label> <span id="shown"></span></p>
${skuSections.join('\n')}
${omitted > 0 ? `<p class="meta">${omitted} more SKU(s) not drawn; the tables above and --json list them all.</p>` : ''}
<script>
(function () {
  var input = document.getElementById('filter');
  var shown = document.getElementById('shown');
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.sku'));
  function apply() {
    var q = input.value.trim().toLowerCase();
    var n = 0;
    sections.forEach(function (s) { var hit = !q || s.getAttribute('data-sku').indexOf(q) !== -1; s.style.display = hit ? '' : 'none'; if (hit) n++; });
    shown.textContent = n + ' of ' + sections.length + ' shown';
  }
  input.addEventListener('input', apply);
  apply();
})();
</script>
</body>
</html>
`;
}
