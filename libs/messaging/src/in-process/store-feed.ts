import type { Pool } from 'pg';
import type { EventFilter, EventStore } from '@dropline/event-store';
import type { Lease } from '@dropline/runtime';
import { backoffDelay, silentLogger, Sleeper, WorkerLogger } from '@dropline/runtime';
import type { CloudEventCodec } from '../cloud-events/cloud-event.codec';
import type { EffectivelyOnceConsumer } from '../consumer/effectively-once-consumer';

export interface StoreFeedOptions {
  filter: EventFilter;
  batchSize?: number;
  idleMs?: number;
  leaseRetryMs?: number;
  backoff?: { initialMs: number; maxMs: number };
  logger?: WorkerLogger;
}

/**
 * The in-process transport of embedded mode (no KAFKA_BROKERS): the consumer group reads
 * the global log itself from a checkpoint kept in its own database, and every event goes
 * through the same CloudEvents encoding and the same EffectivelyOnceConsumer as over Kafka.
 * Same delivery semantics: ordered per drop (the log is totally ordered), at least once
 * (the checkpoint moves only after the batch was handled), deduplicated by ce_id.
 */
export class StoreFeed {
  private readonly sleeper = new Sleeper();
  private running: Promise<void> | undefined;
  private stopping = false;
  private failures = 0;
  private readonly settings: Required<StoreFeedOptions>;
  /** Events handled since start (tests wait on it). */
  handled = 0;

  constructor(
    private readonly store: EventStore,
    private readonly codec: CloudEventCodec,
    private readonly consumer: EffectivelyOnceConsumer,
    private readonly pool: Pool,
    private readonly lease: Lease,
    options: StoreFeedOptions,
  ) {
    this.settings = {
      batchSize: 200,
      idleMs: 50,
      leaseRetryMs: 1_000,
      backoff: { initialMs: 200, maxMs: 10_000 },
      logger: silentLogger,
      ...options,
    };
  }

  async migrate(): Promise<void> {
    await this.pool.query(`create table if not exists ${this.consumer.schema}.feed_checkpoint (id int primary key, position text)`);
  }

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
  }

  /**
   * Handles the next batch after the checkpoint; returns how many events it handled and whether
   * the log is read to its end. The checkpoint moves past everything the read scanned, events the
   * filter left out included, so a batch may handle none and still not be the end.
   */
  async pumpOnce(): Promise<{ handled: number; isEnd: boolean }> {
    const { rows } = await this.pool.query<{ position: string | null }>(
      `select position from ${this.consumer.schema}.feed_checkpoint where id = 1`,
    );
    const read = await this.store.readAll({
      fromPosition: rows[0]?.position ?? undefined,
      maxCount: this.settings.batchSize,
      filter: this.settings.filter,
    });
    for (const event of read.events) {
      await this.consumer.handle({ ...this.codec.encode(event), topic: 'in-process', offset: event.position });
      this.handled++;
    }
    if (read.position !== undefined && read.position !== rows[0]?.position) {
      await this.pool.query(
        `insert into ${this.consumer.schema}.feed_checkpoint (id, position) values (1, $1) on conflict (id) do update set position = excluded.position`,
        [read.position],
      );
    }
    return { handled: read.events.length, isEnd: read.isEnd };
  }

  private async loop(): Promise<void> {
    const { logger } = this.settings;
    while (!this.stopping) {
      if (!(await this.lease.tryAcquire().catch(() => false))) {
        await this.sleeper.sleep(this.settings.leaseRetryMs);
        continue;
      }
      try {
        const { isEnd } = await this.pumpOnce();
        this.failures = 0;
        if (isEnd) await this.sleeper.sleep(this.settings.idleMs);
      } catch (e) {
        this.failures++;
        const delay = backoffDelay(this.failures, this.settings.backoff.initialMs, this.settings.backoff.maxMs);
        logger.warn(
          `${this.consumer.handler.name}: in-process delivery failed (attempt ${this.failures}), retrying in ${delay} ms: ${(e as Error).message}`,
        );
        await this.sleeper.sleep(delay);
      }
    }
  }
}
