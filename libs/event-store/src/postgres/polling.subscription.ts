import type { RecordedEvent, Subscription } from '../event-store.port';
import type { EventStoreLogger } from '../event-store.logger';
import type { LogPage } from './postgres.event-store';
import { formatLogPosition, type LogPosition } from './postgres.position';

/** Timings of a polling subscription, in milliseconds. */
export interface PollingOptions {
  /** Poll interval right after events arrived. */
  minPollMs: number;
  /** Poll interval when idle; the interval doubles from minPollMs up to this. */
  maxPollMs: number;
  /** First retry delay after a failed read; doubles up to maxRetryMs. */
  minRetryMs: number;
  maxRetryMs: number;
}

const DEFAULTS: PollingOptions = { minPollMs: 10, maxPollMs: 100, minRetryMs: 100, maxRetryMs: 10_000 };

/**
 * Catch-up-then-live subscription over keyset pages of the gap-safe log. Catch-up and live are the
 * same loop: full pages are read back to back, a partial page means "caught up" and the loop
 * sleeps, 10 ms after activity and backing off to 100 ms when idle. A local append wakes it early.
 * The cursor only moves after a page was read, so a failed read is simply retried from the same
 * cursor: nothing is skipped or delivered twice.
 */
export class PollingSubscription implements Subscription {
  private readonly timing: PollingOptions;
  private closed = false;
  private started = false;
  private nudged = false;
  private wake: (() => void) | undefined;
  private reading: Promise<unknown> | undefined;

  constructor(
    private cursor: LogPosition,
    private readonly readPage: (after: LogPosition) => Promise<LogPage>,
    private readonly logger: EventStoreLogger,
    timing: Partial<PollingOptions> | undefined,
    private readonly onClose: () => void,
    /** True when retrying is pointless (the pool was ended under the subscription): the error is rethrown to the reader. */
    private readonly isFatal: () => boolean = () => false,
  ) {
    this.timing = { ...DEFAULTS, ...timing };
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.started) throw new Error('A subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  /** Cuts the current sleep short (called after an append through the same store). */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.onClose();
    // Let an in-flight query finish so the caller can end the pool right after close().
    await this.reading?.catch(() => undefined);
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    let pollMs = this.timing.minPollMs;
    let retryMs = this.timing.minRetryMs;
    let failing = false;
    try {
      while (!this.closed) {
        let page: LogPage;
        try {
          this.nudged = false;
          const reading = this.readPage(this.cursor);
          this.reading = reading;
          page = await reading;
        } catch (error) {
          if (this.closed) return;
          if (this.isFatal()) throw error;
          this.logger.error(`subscription read failed at ${formatLogPosition(this.cursor)}; retrying in ${retryMs} ms`, error);
          failing = true;
          await this.sleep(retryMs);
          retryMs = Math.min(retryMs * 2, this.timing.maxRetryMs);
          continue;
        } finally {
          this.reading = undefined;
        }
        if (failing) {
          this.logger.log(`subscription resumed at ${formatLogPosition(this.cursor)}`);
          failing = false;
          retryMs = this.timing.minRetryMs;
        }
        for (const event of page.events) {
          if (this.closed) return;
          yield event;
        }
        this.cursor = page.next;
        if (page.full) continue;
        if (this.closed) return;
        pollMs = page.events.length > 0 ? this.timing.minPollMs : Math.min(pollMs * 2, this.timing.maxPollMs);
        if (!this.nudged) await this.sleep(pollMs);
      }
    } finally {
      this.closed = true;
      this.onClose();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
