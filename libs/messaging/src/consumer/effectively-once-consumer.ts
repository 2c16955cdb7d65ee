import type { Pool } from 'pg';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { droplineTracer, parentContext, withSpan } from '@dropline/event-store';
import { CloudEventCodec, DeliveredEvent, UndeliverableMessageError } from '../cloud-events/cloud-event.codec';
import { headerString, InboundMessage } from '../transport';
import { silentLogger, WorkerLogger } from '@dropline/runtime';
import { ConsumerHandler, PermanentRejection, type Queryable } from './consumer-handler';
import type { DeadLetterSink } from './dead-letters';

export type DeliveryOutcome = 'applied' | 'duplicate' | 'skipped' | 'dead-lettered';

/** What a consumer reports per delivery (the platform's Prometheus metrics implement it). */
export interface ConsumerObserver {
  delivered(outcome: DeliveryOutcome): void;
}

/** The message could not be handled now but may succeed later (database down, …): retry, never dead-letter. */
export class TransientDeliveryError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'TransientDeliveryError';
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Applies each event effectively once: the handler's effect and the record of its ce_id
 * commit in one transaction of the consumer's own database, so a duplicate delivery (a
 * redelivered offset, or the relay re-sending after a crash under new offsets) finds the
 * ce_id and changes nothing. Deduplication is by ce_id only, never by offset.
 */
export class EffectivelyOnceConsumer {
  readonly schema: string;

  constructor(
    private readonly pool: Pool,
    private readonly codec: CloudEventCodec,
    readonly handler: ConsumerHandler,
    private readonly deadLetters: DeadLetterSink,
    private readonly logger: WorkerLogger = silentLogger,
    /** Told how each delivery ended (metrics: applied, duplicate, skipped, dead-lettered). */
    private readonly observer?: ConsumerObserver,
  ) {
    if (!SCHEMA_NAME.test(handler.name.replace(/-/g, '_'))) throw new Error(`consumer name ${handler.name} cannot name a schema`);
    this.schema = handler.name.replace(/-/g, '_');
  }

  /** Creates the schema, the ce_id ledger and the handler's tables. */
  async migrate(): Promise<void> {
    await this.pool.query(`create schema if not exists ${this.schema}`);
    await this.pool.query(
      `create table if not exists ${this.schema}.processed_events (
         ce_id text primary key, ce_type text not null, outcome text not null, processed_at timestamptz not null default now())`,
    );
    await this.handler.migrate(this.pool);
  }

  /**
   * Handles one delivery. Resolves when the message is done with (applied, duplicate,
   * skipped or dead-lettered); throws TransientDeliveryError when it must be retried.
   * `alsoInTransaction` runs in the transaction of an applied event, after the handler (the
   * in-process feed stores its checkpoint there, so it commits with the consumer's rows).
   */
  async handle(message: InboundMessage, alsoInTransaction?: (tx: Queryable) => Promise<void>): Promise<DeliveryOutcome> {
    const outcome = await this.deliver(message, alsoInTransaction);
    this.observer?.delivered(outcome);
    return outcome;
  }

  private async deliver(message: InboundMessage, alsoInTransaction?: (tx: Queryable) => Promise<void>): Promise<DeliveryOutcome> {
    let event: DeliveredEvent;
    try {
      event = this.codec.decode(message);
    } catch (e) {
      if (!(e instanceof UndeliverableMessageError)) throw new TransientDeliveryError(`decode failed: ${String(e)}`, e);
      await this.deadLetter(message, e.reason, e.message, headerString(message.headers, 'ce_id'));
      return 'dead-lettered';
    }
    if (!this.handler.eventTypes.has(event.type)) return 'skipped';
    // The handling continues the event's trace (its traceparent header is the event's context).
    const span = droplineTracer().startSpan(
      `consume ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'dropline.consumer': this.handler.name, 'messaging.message.id': event.id, 'dropline.event_type': event.type },
      },
      parentContext(event.traceparent),
    );
    try {
      const outcome = await withSpan(span, () => this.apply(message, event, alsoInTransaction));
      span.setAttribute('dropline.outcome', outcome);
      return outcome;
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  }

  private async apply(
    message: InboundMessage,
    event: DeliveredEvent,
    alsoInTransaction: ((tx: Queryable) => Promise<void>) | undefined,
  ): Promise<DeliveryOutcome> {
    let client;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw new TransientDeliveryError(`${this.handler.name}: database unavailable: ${(e as Error).message}`, e);
    }
    let rejection: PermanentRejection | undefined;
    try {
      await client.query('begin');
      const claimed = await client.query(
        `insert into ${this.schema}.processed_events (ce_id, ce_type, outcome) values ($1, $2, 'applied') on conflict (ce_id) do nothing`,
        [event.id, event.ceType],
      );
      if (claimed.rowCount === 0) {
        await client.query('rollback');
        return 'duplicate';
      }
      await this.handler.apply(event, client);
      await alsoInTransaction?.(client);
      await client.query('commit');
      return 'applied';
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      if (e instanceof PermanentRejection) rejection = e;
      else throw new TransientDeliveryError(`${this.handler.name}: ${event.type} ${event.id} failed: ${(e as Error).message}`, e);
    } finally {
      client.release();
    }
    // Dead-letter first, then remember the ce_id: if the process dies in between, the
    // message is dead-lettered twice, which is better than not at all.
    await this.deadLetter(message, `rejected:${rejection.code}`, rejection.message, event.id);
    try {
      await this.pool.query(
        `insert into ${this.schema}.processed_events (ce_id, ce_type, outcome) values ($1, $2, 'dead-lettered') on conflict (ce_id) do nothing`,
        [event.id, event.ceType],
      );
    } catch (e) {
      throw new TransientDeliveryError(`${this.handler.name}: cannot record dead-lettered ${event.id}`, e);
    }
    return 'dead-lettered';
  }

  private async deadLetter(message: InboundMessage, reason: string, detail: string, ceId: string | undefined): Promise<void> {
    this.logger.warn(
      `${this.handler.name}: dead-lettering ${ceId ?? 'message'} at ${message.topic ?? 'in-process'}/${message.partition ?? '-'}@${message.offset ?? '-'} (${reason}): ${detail}`,
    );
    try {
      await this.deadLetters.send({ consumer: this.handler.name, reason, detail, message });
    } catch (e) {
      throw new TransientDeliveryError(`${this.handler.name}: dead-letter send failed: ${(e as Error).message}`, e);
    }
  }
}
