import { readFileSync } from 'node:fs';

/** Latency samples in milliseconds; percentiles by sorting once at the end (a few 100k samples). */
export class Latencies {
  private samples = new Float64Array(1 << 16);
  private n = 0;

  add(ms: number): void {
    if (this.n === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  summary(): { p50: number; p99: number; max: number } {
    if (this.n === 0) return { p50: NaN, p99: NaN, max: NaN };
    const sorted = this.samples.slice(0, this.n).sort();
    const at = (q: number) => sorted[Math.min(this.n - 1, Math.floor(q * this.n))];
    return { p50: round(at(0.5), 2), p99: round(at(0.99), 2), max: round(sorted[this.n - 1], 2) };
  }
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Milliseconds since `start` (from performance.now()). */
export function since(start: number): number {
  return performance.now() - start;
}

/** Peak resident set of this process so far, in MiB (Linux reports maxRSS in KiB). */
export function ownPeakRssMiB(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

/** Peak resident set of another process (VmHWM), in MiB; undefined where /proc is not available. */
export function peakRssOfPid(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? round(Number(match[1]) / 1024, 1) : undefined;
  } catch {
    return undefined;
  }
}

/** Samples another process's peak RSS until stopped (the value survives only while the process lives). */
export function watchPeakRss(pid: number, everyMs = 500): { stop(): number | undefined } {
  let peak: number | undefined;
  const sample = () => {
    const v = peakRssOfPid(pid);
    if (v !== undefined) peak = Math.max(peak ?? 0, v);
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return peak;
    },
  };
}

/** Renders rows of the same keys as a fixed-width text table. */
export function formatTable(rows: Array<Record<string, string | number | boolean | undefined>>): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) =>
    v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(v);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => '| ' + values.map((v, i) => v.padEnd(widths[i])).join(' | ') + ' |';
  return [
    line(columns),
    '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|',
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

/** `--name value` / `--name=value` from a scenario's argument list. */
export function flag(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return undefined;
}

export function numberFlag(args: string[], name: string, fallback: number): number {
  const raw = flag(args, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number (got "${raw}")`);
  return value;
}
