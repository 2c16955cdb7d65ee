import type { CliOutput } from './cli-command';

/**
 * A one-line progress bar on stderr: events read, events/s and ETA. Drawn only on a TTY and
 * only once the work has taken longer than a second, so short runs and pipes stay quiet.
 */
export class ProgressBar {
  private readonly started: number;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: CliOutput,
    private readonly label: string,
    private readonly now: () => number = () => performance.now(),
    private readonly delayMs = 1000,
  ) {
    this.started = now();
  }

  /** `fraction` of the work is done (0..1, undefined when unknown), `events` read so far. */
  update(events: number, fraction: number | undefined): void {
    if (!this.out.isTTY) return;
    const t = this.now();
    const elapsed = t - this.started;
    if (elapsed < this.delayMs || t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.drawn = true;
    this.out.write(`\r${this.render(events, fraction, elapsed)}\x1b[K`);
  }

  /** Clears the line if anything was drawn. */
  finish(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  render(events: number, fraction: number | undefined, elapsedMs: number): string {
    const rate = elapsedMs > 0 ? (events * 1000) / elapsedMs : 0;
    const parts = [this.label];
    if (fraction !== undefined) {
      const width = 24;
      const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
    }
    parts.push(`${events.toLocaleString('en-US')} events`, `${Math.round(rate).toLocaleString('en-US')} ev/s`);
    if (fraction !== undefined && fraction > 0 && fraction < 1)
      parts.push(`ETA ${formatSeconds((elapsedMs * (1 - fraction)) / fraction / 1000)}`);
    return parts.join('  ');
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.ceil(seconds % 60)).padStart(2, '0')}s`;
}
