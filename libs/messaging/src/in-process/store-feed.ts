import type { Pool } from 'pg';
import type { EventFilter, EventStore } from '@dropline/event-store';
import {
  standaloneContext,
  CheckpointStore,
  silentLogger,
  Supervisor,
  type Lease,
  type Processor,
  type ProcessorContext,
  type ProcessorPage,
  type WorkerLogger,
} from '@dropline/runtime';
import type { CloudEventCodec } from '../cloud-events/cloud-event.codec';
import type { EffectivelyOnceConsumer } from '../consumer/effectively-once-consumer';
import type { InboundMessage } from '../transport';

export interface StoreFeedOptions {
  filter: EventFilter;
  batchSize?: number;
  idleMs?: number;
  leaseRetryMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  logger?: WorkerLogger;
}

/**
 * The in-process transport of embedded mode (no KAFKA_BROKERS): the consumer group reads the
 * global log itself, as a processor on the runtime (`consumer:<name>`) with its checkpoint in
 * dropline_checkpoints of its own database, and every event goes through the same CloudEvents
 * encoding and the same EffectivelyOnceConsumer as over Kafka. Same delivery semantics: ordered
 * per drop (the log is totally ordered), effectively once: the checkpoint commits in the
 * transaction of each applied event's rows (fenced), and moves past skipped, duplicate and
 * filtered-out events at the end of the page; a redelivery is deduplicated by ce_id.
 */
export class StoreFeed {
  /** The processor the supervisor runs (the engine adds it to its messaging supervisor). */
  readonly processor: Processor;
  readonly checkpointName: string;
  private readonly checkpoints: CheckpointStore;
  private own: Supervisor | undefined;
  private position: string | undefined;
  private readonly settings: Required<StoreFeedOptions>;
  /** Events handled since start (tests wait on it). */
  handled = 0;

  constructor(
    private readonly store: EventStore,
    private readonly codec: CloudEventCodec,
    private readonly consumer: EffectivelyOnceConsumer,
    private readonly pool: Pool,
    readonly lease: Lease,
    options: StoreFeedOptions,
  ) {
    this.settings = {
      // Events per page, so per transaction. With 200 the feeds fell ~25,000 pre-orders behind a hot
      // drop over HTTP (a page's fixed cost: the claim, the handler's statement, the checkpoint,
      // the commit), out of SharedLogReads' window; with 1,000 they stay current at the same
      // engine throughput (docs/benchmarks.md, "Issue 18: filtered reads"). A caught-up feed's
      // pages are whatever is new, so this costs no latency.
      batchSize: 1000,
      // The runtime's idle poll, as every other reader of the log: a caught-up feed polled at 50 ms
      // (up to 100 with backoff) made the two consumers half of an idle engine's log reads.
      idleMs: 100,
      leaseRetryMs: 1_000,
      backoff: { initialMs: 200, maxMs: 10_000 },
      logger: silentLogger,
      ...options,
    };
    this.checkpoints = new CheckpointStore(pool);
    this.checkpointName = `consumer:${consumer.handler.name}`;
    this.processor = {
      name: this.checkpointName,
      filter: this.settings.filter,
      pageSize: this.settings.batchSize,
      idleMs: this.settings.idleMs,
      start: async () => (this.position = (await this.checkpoints.load(this.checkpointName))?.position),
      handle: async (page, context) => void (await this.handlePage(page, context)),
    };
  }

  /** Creates the checkpoint table and takes over the position of the feed's old table (`<schema>.feed_checkpoint`) once. */
  async migrate(): Promise<void> {
    await this.checkpoints.adoptLegacy(this.checkpointName, {
      table: `${this.consumer.schema}.feed_checkpoint`,
      select: `select position from ${this.consumer.schema}.feed_checkpoint where id = 1`,
      drop: true,
    });
  }

  /** Runs the feed under a supervisor of its own (tools and tests; the engine shares one). */
  start(): void {
    if (this.own) return;
    this.own = new Supervisor({
      store: this.store,
      checkpoints: this.checkpoints,
      logger: this.settings.logger,
      backoff: this.settings.backoff,
      leaseRetryMs: this.settings.leaseRetryMs,
      idleMs: this.settings.idleMs,
    }).add(this.processor, this.lease);
    this.own.start();
  }

  async stop(): Promise<void> {
    await this.own?.stop();
    this.own = undefined;
  }

  /**
   * Handles the next batch after the checkpoint outside the supervisor (tests); returns how many
   * events it handled and whether the log is read to its end. The checkpoint moves past
   * everything the read scanned, events the filter left out included.
   */
  async pumpOnce(): Promise<{ handled: number; isEnd: boolean }> {
    if (!(await this.lease.tryAcquire())) throw new Error(`${this.checkpointName}: another instance holds the lease`);
    this.position = (await this.checkpoints.load(this.checkpointName))?.position;
    const read = await this.store.readAll({ fromPosition: this.position, maxCount: this.settings.batchSize, filter: this.settings.filter });
    const context = standaloneContext(this.lease, this.checkpoints);
    await this.handlePage({ events: read.events, position: read.position ?? this.position, isEnd: read.isEnd }, context);
    return { handled: read.events.length, isEnd: read.isEnd };
  }

  /**
   * The page in one transaction of the consumer (its rows, the ce_ids and the checkpoint past the
   * page); one event at a time, each with the checkpoint at its position, when the page holds an
   * event to dead-letter (EffectivelyOnceConsumer.handleAll says so before writing anything).
   */
  private async handlePage(page: ProcessorPage, context: ProcessorContext): Promise<void> {
    const { checkpointName: name } = this;
    const messages = page.events.map((event) => ({ ...this.codec.encode(event), topic: 'in-process', offset: event.position }));
    if (page.position !== undefined && page.events.length > 0) {
      const position = page.position;
      const done = await this.consumer.handleAll(messages, (tx, outcomes) => {
        // As one event at a time would count it: the applied ones, and the time of the last of them.
        const applied = outcomes.filter((o) => o === 'applied').length;
        const lastApplied = page.events[outcomes.lastIndexOf('applied')];
        return context.checkpoints.save(
          { name, position, processed: applied, lastEventAt: lastApplied?.recordedAt, fence: context.fence },
          tx,
        );
      });
      if (!done) await this.handleEachOf(page, messages, context);
      else {
        this.handled += page.events.length;
        if (done.transaction) this.position = position;
      }
    }
    // Past skipped, duplicate and filtered-out events (page.position is past everything scanned).
    if (page.position !== undefined && page.position !== this.position) {
      await context.checkpoints.save({ name, position: page.position, fence: context.fence });
      this.position = page.position;
    }
  }

  /** One transaction per event, its checkpoint in it: a page with an event to dead-letter. */
  private async handleEachOf(page: ProcessorPage, messages: InboundMessage[], context: ProcessorContext): Promise<void> {
    const { checkpointName: name } = this;
    for (const [i, event] of page.events.entries()) {
      const save = (tx: Parameters<CheckpointStore['save']>[1]) =>
        context.checkpoints.save({ name, position: event.position, processed: 1, lastEventAt: event.recordedAt, fence: context.fence }, tx);
      const outcome = await this.consumer.handle(messages[i], save);
      if (outcome === 'applied') this.position = event.position;
      this.handled++;
    }
  }
}
