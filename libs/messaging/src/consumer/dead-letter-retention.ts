import { silentLogger, type WorkerLogger } from '@dropline/runtime';
import type { DeadLetterLedger } from './dead-letter-ledger';

export interface DeadLetterRetentionOptions {
  /** Settled dead letters older than this many days are deleted; 0 keeps them forever (nothing runs). */
  days: number;
  logger?: WorkerLogger;
  /** Between two prunes (default an hour); the first runs at start. */
  everyMs?: number;
}

/**
 * Keeps a process's consumers' dead-letter tables to DEAD_LETTER_RETENTION_DAYS: at start, then
 * every hour, each ledger deletes the rows redriven or dismissed longer ago than that (rows that
 * wait for an operator stay). Every process running a consumer prunes its table: a delete is
 * the same whoever runs it, so no lease is needed. A failure (the database down) is logged and
 * tried again at the next round.
 */
export class DeadLetterRetention {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private abort = new AbortController();
  private readonly everyMs: number;
  private readonly logger: WorkerLogger;

  constructor(
    private readonly ledgers: readonly DeadLetterLedger[],
    private readonly options: DeadLetterRetentionOptions,
  ) {
    this.everyMs = options.everyMs ?? 3_600_000;
    this.logger = options.logger ?? silentLogger;
  }

  start(): void {
    if (!(this.options.days > 0) || this.ledgers.length === 0) return;
    this.abort = new AbortController();
    this.schedule(0);
  }

  /** Ends a round under way after its current slice, and runs no other. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.timer);
    await this.round;
  }

  /** One round over every ledger, now (what the timer runs). */
  async pruneNow(): Promise<void> {
    for (const ledger of this.ledgers) {
      if (this.abort.signal.aborted) return;
      try {
        const pruned = await ledger.prune(this.options.days, this.abort.signal);
        if (pruned > 0)
          this.logger.log(`${ledger.name}: pruned ${pruned} dead letter(s) redriven or dismissed more than ${this.options.days} days ago`);
      } catch (e) {
        this.logger.warn(`${ledger.name}: pruning dead letters failed, trying again in ${this.everyMs} ms: ${(e as Error).message}`);
      }
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.round = this.pruneNow().finally(() => {
        this.round = undefined;
        if (!this.abort.signal.aborted) this.schedule(this.everyMs);
      });
    }, delayMs);
    this.timer.unref();
  }
}
