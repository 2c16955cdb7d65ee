import { BAD_EVENTS_KEPT, BadEvent, badEventOf, BadEventPolicy, describeBadEvent } from '@dropline/domain';
import { measureLag, type EventFilter, type EventStore, type RecordedEvent } from '@dropline/event-store';
import type { Lease } from '@dropline/runtime';
import { backoffDelay, silentLogger, Sleeper, WorkerLogger } from '@dropline/runtime';
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
  /** Events in the log after the checkpoint, when the store can count them cheaply (undefined on EventStoreDB). */
  lag: number | undefined;
  /**
   * Seconds behind, every store: the log head's recorded time minus that of the first event not
   * published yet (0 when caught up; see measureLag). Undefined until first measured.
   */
  lagSeconds: number | undefined;
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
    lagSeconds: undefined,
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

  /**
   * The status with the lag measured now rather than taken from the last round: while the broker
   * hangs a publish (SIGSTOPped, partitioned) the loop is stuck inside that round and its figures
   * are stale. A standby or stopped relay reports what it last knew.
   */
  async statusNow(): Promise<RelayStatus> {
    const status = this.status();
    if (status.state === 'stopped' || status.state === 'standby') return status;
    const lag = await measureLag(this.store, status.checkpoint, this.options.filter).catch(() => undefined);
    return lag ? { ...status, lag: lag.lagEvents ?? undefined, lagSeconds: lag.lagSeconds } : status;
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
          await this.refreshLag(true);
          await this.sleeper.sleep(this.options.stallRetryMs);
          continue;
        }
        this.current.state = round.isEnd ? 'caught-up' : 'publishing';
        if (round.isEnd) {
          this.current.lag = this.store.countAfter ? 0 : undefined;
          this.current.lagSeconds = 0;
        } else await this.refreshLag(false);
        // Not at the end means more follows, even after a round that passed only other events.
        if (round.isEnd) await this.sleeper.sleep(this.options.idleMs);
      } catch (e) {
        this.current.consecutiveFailures++;
        this.current.lastError = e instanceof Error ? e.message : String(e);
        this.current.state = 'retrying';
        // The checkpoint may or may not have been stored: re-read it rather than guess.
        this.checkpointLoaded = false;
        await this.refreshLag(true);
        const delay = backoffDelay(this.current.consecutiveFailures, this.options.backoff.initialMs, this.options.backoff.maxMs);
        logger.warn(
          `relay ${this.options.name}: publish failed (attempt ${this.current.consecutiveFailures}, lag ${this.current.lag ?? 'unknown'} events), retrying in ${delay} ms: ${this.current.lastError}`,
        );
        await this.sleeper.sleep(delay);
      }
    }
  }

  /** Lag is measured at most once a second unless forced: it takes a read or two, not free. */
  private async refreshLag(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lagCheckedAt < 1_000) return;
    this.lagCheckedAt = now;
    const lag = await measureLag(this.store, this.checkpoint, this.options.filter).catch(() => undefined);
    if (!lag) return;
    this.current.lag = lag.lagEvents ?? undefined;
    this.current.lagSeconds = lag.lagSeconds;
  }
}
