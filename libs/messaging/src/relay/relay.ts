import { SpanStatusCode } from '@opentelemetry/api';
import { BAD_EVENTS_KEPT, BadEvent, BadEventPolicy, describeBadEvent, screenBadEvents } from '@dropline/domain';
import { startBatchSpan, measureLag, withSpan, type EventFilter, type EventStore, type RecordedEvent } from '@dropline/event-store';
import {
  standaloneContext,
  silentLogger,
  Supervisor,
  type CheckpointStore,
  type Lease,
  type PageOutcome,
  type Processor,
  type ProcessorContext,
  type ProcessorPage,
  type WorkerLogger,
} from '@dropline/runtime';
import type { CloudEventCodec } from '../cloud-events/cloud-event.codec';
import type { MessagePublisher } from '../transport';

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
  /** Told about acknowledged publishes and failed rounds (metrics). */
  observer?: RelayObserver;
  /** While stalled at a bad event, how often the log is read again. */
  stallRetryMs: number;
}

/** What the relay reports as it works (the platform's Prometheus metrics implement it). */
export interface RelayObserver {
  /** Events the broker acknowledged. */
  published(events: number): void;
  /** A round failed (broker or database); the supervisor restarts the relay. */
  failed(): void;
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
  /** Times the supervisor started the relay again after a failure, since this process started. */
  restarts: number;
  lastError: string | undefined;
  /** The lease fencing token its checkpoint saves carry (undefined while standing by). */
  fence: number | undefined;
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

const STATES: Record<string, RelayStatus['state']> = {
  standby: 'standby',
  running: 'publishing',
  'caught-up': 'caught-up',
  retrying: 'retrying',
  stalled: 'stalled',
  stopped: 'stopped',
};

/**
 * Event store → broker, a processor on the runtime (`relay:<topic>`): reads the global log after
 * its checkpoint a page at a time, publishes each page and stores the checkpoint (fenced) only
 * after the broker acknowledged it: a crash in between sends the page again (consumers deduplicate
 * by ce_id), and nothing is ever skipped silently: an unknown or corrupted event stalls the relay
 * at it or is reported and left out (`onBadEvent`). Only the lease holder publishes, and it looks
 * at the lease right before each publish, so two engines never interleave a drop's events; the
 * supervisor restarts it with jittered backoff when the broker or a database fails.
 */
export class Relay {
  private readonly options: RelayOptions;
  private readonly supervisor: Supervisor;
  private checkpoint: string | undefined;
  private lagCheckedAt = 0;
  private readonly current = {
    published: 0,
    lag: undefined as number | undefined,
    lagSeconds: undefined as number | undefined,
    stalledAt: undefined as BadEvent | undefined,
    badEventsSkipped: 0,
    badEvents: [] as BadEvent[],
  };
  private started = false;

  constructor(
    private readonly store: EventStore,
    private readonly codec: CloudEventCodec,
    private readonly publisher: MessagePublisher,
    private readonly checkpoints: CheckpointStore,
    private readonly lease: Lease,
    options: Partial<RelayOptions> & Pick<RelayOptions, 'name' | 'filter'>,
  ) {
    this.options = { ...RELAY_DEFAULTS, ...options };
    this.supervisor = new Supervisor({
      store,
      checkpoints,
      logger: this.options.logger,
      backoff: this.options.backoff,
      leaseRetryMs: this.options.leaseRetryMs,
      idleMs: this.options.idleMs,
    }).add(this.processor(), lease);
  }

  /** The relay as a processor (the supervisor runs it; tests call publishNextBatch). */
  private processor(): Processor {
    return {
      name: this.options.name,
      filter: this.options.filter,
      pageSize: this.options.batchSize,
      idleMs: this.options.idleMs,
      stallRetryMs: this.options.stallRetryMs,
      start: async () => {
        // Whoever held the lease before may have moved the checkpoint: read it on every takeover.
        this.checkpoint = (await this.checkpoints.load(this.options.name))?.position;
        return this.checkpoint;
      },
      handle: (page, context) => this.handle(page, context),
    };
  }

  status(): RelayStatus {
    const s = this.supervisor.statusOf(this.options.name)!;
    return {
      state: this.started ? STATES[s.state] : 'stopped',
      checkpoint: this.checkpoint,
      published: this.current.published,
      lag: this.current.lag,
      lagSeconds: this.current.lagSeconds,
      consecutiveFailures: s.consecutiveFailures,
      restarts: s.restarts,
      lastError: s.consecutiveFailures > 0 ? s.lastError : undefined,
      fence: s.fence,
      stalledAt: this.current.stalledAt,
      badEventsSkipped: this.current.badEventsSkipped,
      badEvents: [...this.current.badEvents],
    };
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

  /**
   * Creates the checkpoint table and, once, takes over the position the relay stored before
   * dropline_checkpoints (messaging.relay_checkpoints), so an upgrade does not publish the log again.
   */
  async migrate(): Promise<void> {
    await this.checkpoints.adoptLegacy(this.options.name, {
      table: 'messaging.relay_checkpoints',
      select: 'select position, published as events_processed from messaging.relay_checkpoints where name = $1',
      params: [this.options.name],
    });
  }

  /** Starts the relay under the supervisor; it runs until stop(). */
  start(): void {
    this.started = true;
    this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
    this.started = false;
  }

  /**
   * One round outside the supervisor (tests, tools): takes the lease, reads a page after the
   * stored checkpoint, publishes it and stores the checkpoint. Throws when the broker or a
   * database failed, or another instance holds the lease.
   */
  async publishNextBatch(): Promise<{ published: number; isEnd: boolean }> {
    if (!(await this.lease.tryAcquire())) throw new Error(`relay ${this.options.name}: another instance holds the lease`);
    this.checkpoint = (await this.checkpoints.load(this.options.name))?.position;
    const page = await this.store.readAll({
      fromPosition: this.checkpoint,
      maxCount: this.options.batchSize,
      filter: this.options.filter,
      ...(this.current.stalledAt ? { fresh: true } : {}),
    });
    const before = this.current.published;
    const context = standaloneContext(this.lease, this.checkpoints);
    const outcome = await this.handle({ events: page.events, position: page.position ?? this.checkpoint, isEnd: page.isEnd }, context);
    return { published: this.current.published - before, isEnd: page.isEnd || outcome?.stalled !== undefined };
  }

  private async handle(page: ProcessorPage, context: ProcessorContext): Promise<PageOutcome> {
    const { events, stoppedAt } = this.screen(page.events);
    try {
      if (events.length > 0) {
        // The last moment to find out another instance took over: after this the page is out.
        if (!context.held()) return { position: this.checkpoint };
        // One span per published batch, linked to every event's context (each message's own
        // traceparent header carries its event's context, not this span's).
        const span = startBatchSpan(
          'relay.publish',
          { 'dropline.relay': this.options.name, 'messaging.batch.message_count': events.length },
          () => events.map((e) => e.metadata.traceparent),
        );
        try {
          await withSpan(span, () => this.publisher.publish(events.map((e) => this.codec.encode(e))));
        } catch (e) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
          throw e;
        } finally {
          span.end();
        }
      }
      // Stopped at a bad event: the checkpoint goes up to (not past) it; skipped ones are passed, and
      // so are events the filter left out (page.position is past everything the read scanned).
      const next = stoppedAt ? (events.at(-1)?.position ?? this.checkpoint) : page.position;
      // Only now, with every message acknowledged (acks = all), may the checkpoint move.
      if (next !== undefined && next !== this.checkpoint) {
        // Checked again (the publish may have taken long: a holder paused inside it stops here), and
        // the save itself is refused when a newer holding already saved (fence).
        if (!context.held()) return { position: this.checkpoint };
        await this.checkpoints.save({
          name: this.options.name,
          position: next,
          processed: events.length,
          lastEventAt: events.at(-1)?.recordedAt,
          fence: context.fence,
        });
        this.checkpoint = next;
      }
    } catch (e) {
      this.options.observer?.failed();
      // The status shows how far behind the failure leaves the relay.
      await this.refreshLag(true);
      throw e;
    }
    this.current.published += events.length;
    if (events.length > 0) this.options.observer?.published(events.length);
    if (stoppedAt) {
      await this.refreshLag(true);
      return { position: this.checkpoint, stalled: { position: stoppedAt.position, reason: describeBadEvent(stoppedAt) } };
    }
    if (page.isEnd) {
      this.current.lag = this.store.countAfter ? 0 : undefined;
      this.current.lagSeconds = 0;
    } else await this.refreshLag(false);
    return { position: this.checkpoint };
  }

  /** Leaves out (skip) or stops before (stop) unknown and corrupted events, reporting each one. */
  private screen(read: readonly RecordedEvent[]): { events: RecordedEvent[]; stoppedAt: BadEvent | undefined } {
    const { logger, name, onBadEvent } = this.options;
    const { events, stoppedAt, skipped } = screenBadEvents(read, onBadEvent);
    for (const bad of skipped) {
      logger.warn(`relay ${name}: not published (ON_BAD_EVENT=skip) ${describeBadEvent(bad)}`);
      this.current.badEventsSkipped++;
      this.current.badEvents.push(bad);
      if (this.current.badEvents.length > BAD_EVENTS_KEPT) this.current.badEvents.shift();
    }
    if (stoppedAt && this.current.stalledAt?.position !== stoppedAt.position)
      logger.warn(`relay ${name}: stalled (ON_BAD_EVENT=stop) at ${describeBadEvent(stoppedAt)}`);
    this.current.stalledAt = stoppedAt;
    return { events, stoppedAt };
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
