import { BAD_EVENTS_KEPT, BadEvent, badEventOf, BadEventPolicy, describeBadEvent } from '@dropline/domain';
import type { EventFilter, EventStore, RecordedEvent } from '@dropline/event-store';
import type { Lease } from '@dropline/runtime';
import { backoffDelay, silentLogger, Sleeper, WorkerLogger } from '../backoff';
import type { CloudEventCodec } from '../cloud-events/cloud-event.codec';
import type { MessagePublisher } from '../transport';
import type { RelayCheckpoints } from './relay-checkpoints';

export interface RelayOptions {
  /** Checkpoint and lease name; one per target topic. */
  name: string;
  /** Which streams go out (every drop-related category). */
  filter: EventFilter;
  /** Events read and sent per round (one Kafka request per round). */
  batchSize: number;
  /** Poll interval once caught up. */
  idleMs: number;
  /** How often a standby relay tries to take the lease. */
  leaseRetryMs: number;
  backoff: { initialMs: number; maxMs: number };
  logger: WorkerLogger;
  /** ON_BAD_EVENT: stall at an unknown or corrupted event (default) or report it and move past it unpublished. */
  onBadEvent: BadEventPolicy;
  /** While stalled at a bad event, how often the log is read again. */
  stallRetryMs: number;
}

export interface RelayStatus {
  state: 'stopped' | 'standby' | 'publishing' | 'caught-up' | 'retrying' | 'stalled';
  checkpoint: string | undefined;
  /** Messages acknowledged by the broker since this relay started. */
  published: number;
  /** Events in the log after the checkpoint, when the store can count them cheaply. */
  lag: number | undefined;
  consecutiveFailures: number;
  lastError: string | undefined;
  /** The bad event the relay stands at (ON_BAD_EVENT=stop); the checkpoint is just before it. */
  stalledAt: BadEvent | undefined;
  /** Bad events left unpublished since start (ON_BAD_EVENT=skip), the most recent last. */
  badEventsSkipped: number;
  badEvents: BadEvent[];
}

export const RELAY_DEFAULTS: Omit<RelayOptions, 'name' | 'filter'> = {
  batchSize: 500,
  idleMs: 25,
  leaseRetryMs: 1_000,
  backoff: { initialMs: 200, maxMs: 10_000 },
  logger: silentLogger,
  onBadEvent: 'stop',
  stallRetryMs: 5_000,
};

/**
 * Event store → broker. Reads the global log after its checkpoint, publishes each batch and
 * stores the new checkpoint only after the broker acknowledged it: a crash in between sends
 * the batch again (consumers deduplicate by ce_id), and nothing is ever skipped silently: an
 * unknown or corrupted event stalls the relay at it or is reported and left out (`onBadEvent`).
 * Only the lease holder publishes, so two engines never interleave a drop's events.
 */
export class Relay {
  private readonly options: RelayOptions;
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly sleeper = new Sleeper();
  private checkpoint: string | undefined;
  private checkpointLoaded = false;
  private lagCheckedAt = 0;
  private readonly current: RelayStatus = {
    state: 'stopped',
    checkpoint: undefined,
    published: 0,
    lag: undefined,
    consecutiveFailures: 0,
    lastError: undefined,
    stalledAt: undefined,
    badEventsSkipped: 0,
    badEvents: [],
  };

  constructor(
    private readonly store: EventStore,
    private readonly codec: CloudEventCodec,
    private readonly publisher: MessagePublisher,
    private readonly checkpoints: RelayCheckpoints,
    private readonly lease: Lease,
    options: Partial<RelayOptions> & Pick<RelayOptions, 'name' | 'filter'>,
  ) {
    this.options = { ...RELAY_DEFAULTS, ...options };
  }

  status(): RelayStatus {
    return { ...this.current, checkpoint: this.checkpoint, badEvents: [...this.current.badEvents] };
  }

  /** Starts the loop in the background; it runs until stop(). */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeper.wake();
    await this.running;
    this.running = undefined;
    await this.lease.release();
    this.current.state = 'stopped';
  }

  /**
   * One round: read a batch after the checkpoint, publish it, store the checkpoint.
   * Returns how many events went out (0 = caught up). Throws when the broker or a database failed.
   */
  async publishNextBatch(): Promise<{ published: number; isEnd: boolean }> {
    if (!this.checkpointLoaded) {
      this.checkpoint = await this.checkpoints.load(this.options.name);
      this.checkpointLoaded = true;
    }
    const read = await this.store.readAll({ fromPosition: this.checkpoint, maxCount: this.options.batchSize, filter: this.options.filter });
    const { events, stoppedAt } = this.screen(read.events);
    if (events.length > 0) {
      await this.publisher.publish(events.map((e) => this.codec.encode(e)));
    }
    // Stopped at a bad event: the checkpoint goes up to (not past) it; skipped ones are passed, and
    // so are events the filter left out (read.position is past everything the read scanned).
    const next = stoppedAt ? events.at(-1)?.position : read.position;
    // Only now, with every message acknowledged (acks = all), may the checkpoint move.
    if (next !== undefined && next !== this.checkpoint) {
      await this.checkpoints.save(this.options.name, next, events.length);
      this.checkpoint = next;
    }
    this.current.published += events.length;
    return { published: events.length, isEnd: read.isEnd || stoppedAt !== undefined };
  }

  /** Leaves out (skip) or stops before (stop) unknown and corrupted events, reporting each one. */
  private screen(read: readonly RecordedEvent[]): { events: RecordedEvent[]; stoppedAt: BadEvent | undefined } {
    const { logger, name, onBadEvent } = this.options;
    const events: RecordedEvent[] = [];
    for (const event of read) {
      const bad = badEventOf(event);
      if (!bad) {
        events.push(event);
        continue;
      }
      if (onBadEvent === 'stop') {
        if (this.current.stalledAt?.position !== bad.position)
          logger.warn(`relay ${name}: stalled (ON_BAD_EVENT=stop) at ${describeBadEvent(bad)}`);
        this.current.stalledAt = bad;
        return { events, stoppedAt: bad };
      }
      logger.warn(`relay ${name}: not published (ON_BAD_EVENT=skip) ${describeBadEvent(bad)}`);
      this.current.badEventsSkipped++;
      this.current.badEvents.push(bad);
      if (this.current.badEvents.length > BAD_EVENTS_KEPT) this.current.badEvents.shift();
    }
    this.current.stalledAt = undefined;
    return { events, stoppedAt: undefined };
  }

  private async loop(): Promise<void> {
    const { logger } = this.options;
    while (!this.stopping) {
      if (!(await this.lease.tryAcquire().catch(() => false))) {
        if (this.current.state !== 'standby') logger.log(`relay ${this.options.name}: another instance holds the lease; standing by`);
        this.current.state = 'standby';
        // Whoever held it may have moved the checkpoint: reload it when we take over.
        this.checkpointLoaded = false;
        await this.sleeper.sleep(this.options.leaseRetryMs);
        continue;
      }
      try {
        const round = await this.publishNextBatch();
        if (this.current.consecutiveFailures > 0)
          logger.log(`relay ${this.options.name}: publishing again after ${this.current.consecutiveFailures} failed attempts`);
        this.current.consecutiveFailures = 0;
        this.current.lastError = undefined;
        if (this.current.stalledAt) {
          // Visible in the status and the lag (which grows behind the bad event); look again now and then.
          this.current.state = 'stalled';
          await this.measureLag(true);
          await this.sleeper.sleep(this.options.stallRetryMs);
          continue;
        }
        this.current.state = round.isEnd ? 'caught-up' : 'publishing';
        if (round.isEnd) this.current.lag = 0;
        else await this.measureLag(false);
        // Not at the end means more follows, even after a round that passed only other events.
        if (round.isEnd) await this.sleeper.sleep(this.options.idleMs);
      } catch (e) {
        this.current.consecutiveFailures++;
        this.current.lastError = e instanceof Error ? e.message : String(e);
        this.current.state = 'retrying';
        // The checkpoint may or may not have been stored: re-read it rather than guess.
        this.checkpointLoaded = false;
        await this.measureLag(true);
        const delay = backoffDelay(this.current.consecutiveFailures, this.options.backoff.initialMs, this.options.backoff.maxMs);
        logger.warn(
          `relay ${this.options.name}: publish failed (attempt ${this.current.consecutiveFailures}, lag ${this.current.lag ?? 'unknown'} events), retrying in ${delay} ms: ${this.current.lastError}`,
        );
        await this.sleeper.sleep(delay);
      }
    }
  }

  /** Lag is counted at most once a second: counting is a query, not free. */
  private async measureLag(force: boolean): Promise<void> {
    if (!this.store.countAfter) return;
    const now = Date.now();
    if (!force && now - this.lagCheckedAt < 1_000) return;
    this.lagCheckedAt = now;
    this.current.lag = await this.store.countAfter(this.checkpoint).catch(() => this.current.lag);
  }
}
