/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Fixed formatting so the same replay always draws the same bytes. */
const n2 = (v: number): string => (Math.round(v * 100) / 100).toString();

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

export interface LineSeries {
  name: string;
  color: string;
  values: readonly number[];
  dashed?: boolean;
  /** Draw as a step line (stock levels change at day boundaries). */
  step?: boolean;
}

export interface HorizontalLine {
  name: string;
  color: string;
  value: number;
}

const W = 720;
const H = 280;
const M = { top: 16, right: 16, bottom: 40, left: 56 };

function frame(cls: string, title: string, body: string, legend: Array<{ name: string; color: string; dashed?: boolean }>): string {
  // Two columns while the labels fit in one (about 6.5 px a character at 11 px), else one.
  const columns = Math.max(...legend.map((l) => l.name.length), 0) * 6.5 + 24 <= 320 ? 2 : 1;
  const items = legend
    .map((l, i) => {
      const x = M.left + (i % columns) * 330;
      const y = H + 18 + Math.floor(i / columns) * 18;
      return `<g class="legend-item"><line x1="${x}" y1="${y - 4}" x2="${x + 18}" y2="${y - 4}" stroke="${l.color}" stroke-width="2.5"${l.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${x + 24}" y="${y}">${escapeHtml(l.name)}</text></g>`;
    })
    .join('');
  const legendHeight = Math.ceil(legend.length / columns) * 18 + 8;
  return `<svg class="chart ${cls}" viewBox="0 0 ${W} ${H + legendHeight}" width="${W}" height="${H + legendHeight}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title>${body}${items}</svg>`;
}

function axes(
  xTicks: Array<{ at: number; label: string }>,
  yTicks: number[],
  y: (v: number) => number,
  xLabel: string,
  yLabel: string,
): string {
  const grid = yTicks
    .map(
      (t) =>
        `<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${n2(y(t))}" y2="${n2(y(t))}"/><text class="tick" x="${M.left - 6}" y="${n2(y(t) + 4)}" text-anchor="end">${n2(t)}</text>`,
    )
    .join('');
  const xs = xTicks
    .map((t) => `<text class="tick" x="${n2(t.at)}" y="${H - M.bottom + 16}" text-anchor="middle">${escapeHtml(t.label)}</text>`)
    .join('');
  return `<g class="axes">${grid}<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}"/><line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}"/>${xs}<text class="axis-label" x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(xLabel)}</text><text class="axis-label" transform="translate(14 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text></g>`;
}

/** A line chart over days: one polyline per series, dashed horizontal lines for thresholds. */
export function lineChart(options: {
  cls: string;
  title: string;
  dayLabels: readonly string[];
  series: LineSeries[];
  lines: HorizontalLine[];
  yLabel: string;
}): string {
  const days = options.dayLabels.length;
  const all = [0, ...options.series.flatMap((s) => s.values), ...options.lines.map((l) => l.value)];
  const yMax = Math.max(1, ...all);
  const yMin = Math.min(0, ...all);
  const yTicks = niceTicks(yMin, yMax);
  const top = Math.max(yMax, yTicks[yTicks.length - 1]);
  const x = (i: number): number => M.left + (days <= 1 ? 0 : (i / (days - 1)) * (W - M.left - M.right));
  const y = (v: number): number => H - M.bottom - ((v - yMin) / (top - yMin || 1)) * (H - M.top - M.bottom);
  const every = Math.max(1, Math.ceil(days / 8));
  const xTicks = options.dayLabels.map((label, i) => ({ at: x(i), label: label.slice(5) })).filter((_, i) => i % every === 0);
  const paths = options.series
    .map((s) => {
      const points: string[] = [];
      s.values.forEach((v, i) => {
        if (s.step && i > 0) points.push(`${n2(x(i))},${n2(y(s.values[i - 1]))}`);
        points.push(`${n2(x(i))},${n2(y(v))}`);
      });
      const dots = s.values
        .map(
          (v, i) =>
            `<circle class="point" cx="${n2(x(i))}" cy="${n2(y(v))}" r="2.5" fill="${s.color}"><title>${escapeHtml(`${s.name}, ${options.dayLabels[i]}: ${n2(v)}`)}</title></circle>`,
        )
        .join('');
      return `<g class="series" data-name="${escapeHtml(s.name)}"><polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${points.join(' ')}"/>${dots}</g>`;
    })
    .join('');
  const hlines = options.lines
    .map(
      (l) =>
        `<g class="threshold" data-name="${escapeHtml(l.name)}"><line x1="${M.left}" x2="${W - M.right}" y1="${n2(y(l.value))}" y2="${n2(y(l.value))}" stroke="${l.color}" stroke-width="1.5" stroke-dasharray="6 4"><title>${escapeHtml(`${l.name}: ${n2(l.value)}`)}</title></line></g>`,
    )
    .join('');
  const body = axes(xTicks, yTicks, y, 'UTC day', options.yLabel) + hlines + paths;
  return frame(options.cls, options.title, body, [...options.series, ...options.lines.map((l) => ({ ...l, dashed: true }))]);
}

export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  group: string;
  highlighted?: boolean;
}

/** A scatter plot, one colour per group, highlighted points ringed. */
export function scatterChart(options: {
  cls: string;
  title: string;
  points: ScatterPoint[];
  colors: Record<string, string>;
  xLabel: string;
  yLabel: string;
}): string {
  const xMax = Math.max(1, ...options.points.map((p) => p.x));
  const yMax = Math.max(1, ...options.points.map((p) => p.y));
  const xTicks = niceTicks(0, xMax);
  const yTicks = niceTicks(0, yMax);
  const xTop = Math.max(xMax, xTicks[xTicks.length - 1]);
  const yTop = Math.max(yMax, yTicks[yTicks.length - 1]);
  const x = (v: number): number => M.left + 8 + (v / xTop) * (W - M.left - M.right - 16);
  const y = (v: number): number => H - M.bottom - 8 - (v / yTop) * (H - M.top - M.bottom - 16);
  const dots = options.points
    .map(
      (p, i) =>
        `<circle class="point${p.highlighted ? ' recommended' : ''}" data-run="${i}" cx="${n2(x(p.x))}" cy="${n2(y(p.y))}" r="${p.highlighted ? 7 : 5}" fill="${options.colors[p.group] ?? '#888'}" fill-opacity="0.75"${p.highlighted ? ' stroke="#111" stroke-width="2"' : ''}><title>${escapeHtml(`${p.label}: ${n2(p.x)} unmet, ${n2(p.y)} excess`)}</title></circle>`,
    )
    .join('');
  const body =
    axes(
      xTicks.map((t) => ({ at: x(t), label: n2(t) })),
      yTicks,
      y,
      options.xLabel,
      options.yLabel,
    ) + dots;
  return frame(
    options.cls,
    options.title,
    body,
    Object.entries(options.colors).map(([name, color]) => ({ name, color })),
  );
}
