import type { Pool } from 'pg';
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  droplineTracer,
  parentContext,
  withSpan,
  migrateOnceUnlessApplied,
  warnOfLockWaits,
  type SchemaQueryable,
} from '@dropline/event-store';
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

  /**
   * Creates the schema, the ce_id ledger and the handler's tables. A database already at this
   * release's statements runs none of them: their digest is recorded in `dropline_schema` (row
   * `consumer:<schema>`), and a start that finds it takes no lock on the consumer's tables. Even an
   * `ALTER TABLE … ADD COLUMN IF NOT EXISTS` with nothing to add asks for an ACCESS EXCLUSIVE lock,
   * so every restart of an engine or consumer service gave way behind an analyst's long read of
   * these tables, and failed to start after 10 minutes of it (migrateOnceUnlessApplied).
   */
  async migrate(): Promise<void> {
    // Once, whatever the number of instances starting together (migrateOnce).
    await migrateOnceUnlessApplied(
      this.pool,
      { name: `consumer:${this.schema}`, tables: [`${this.schema}.processed_events`] },
      (db) => this.ddl(db),
      warnOfLockWaits(`consumer ${this.handler.name} schema`, (m) => this.logger.warn(m), { pool: this.pool, schemas: [this.schema] }),
    );
  }

  private async ddl(db: SchemaQueryable): Promise<void> {
    await db.query(`create schema if not exists ${this.schema}`);
    await db.query(
      `create table if not exists ${this.schema}.processed_events (
       ce_id text primary key, ce_type text not null, outcome text not null, processed_at timestamptz not null default now())`,
    );
    await this.handler.migrate(db as Queryable);
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

  /**
   * Handles the messages of one in-process page in ONE transaction: one statement claims every
   * ce_id, the handler applies the claimed events in order (`applyAll` where it has one), then
   * `inTransaction` runs with the outcomes (the feed saves its checkpoint past the page there),
   * one commit. The outcomes are those `handle` gives one by one; what goes is the transaction,
   * the claim and the checkpoint per event (five round trips each, plus the handler's). A
   * transient failure rolls the whole page back (it is read again). Returns undefined, having
   * written nothing, when a message must be dead-lettered (undecodable, or a PermanentRejection):
   * the caller then hands the page to `handle` one message at a time, which dead-letters it as
   * always. Opens no transaction (and does not call `inTransaction`) when no message is of the
   * handler's types.
   */
  async handleAll(
    messages: readonly InboundMessage[],
    inTransaction: (tx: Queryable, outcomes: readonly DeliveryOutcome[]) => Promise<void>,
  ): Promise<{ outcomes: DeliveryOutcome[]; transaction: boolean } | undefined> {
    const events: Array<DeliveredEvent | undefined> = [];
    const ids: string[] = [];
    const ceTypes: string[] = [];
    for (const message of messages) {
      let event: DeliveredEvent;
      try {
        event = this.codec.decode(message);
      } catch (e) {
        if (e instanceof UndeliverableMessageError) return undefined;
        throw new TransientDeliveryError(`decode failed: ${String(e)}`, e);
      }
      const relevant = this.handler.eventTypes.has(event.type);
      events.push(relevant ? event : undefined);
      if (relevant) {
        ids.push(event.id);
        ceTypes.push(event.ceType);
      }
    }
    const outcomes: DeliveryOutcome[] = events.map((e) => (e ? 'duplicate' : 'skipped'));
    if (ids.length === 0) {
      for (const outcome of outcomes) this.observer?.delivered(outcome);
      return { outcomes, transaction: false };
    }
    let client;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw new TransientDeliveryError(`${this.handler.name}: database unavailable: ${(e as Error).message}`, e);
    }
    // One span per delivered event, as `handle` makes, open until the page commits.
    const spans = events.map((event) => event && this.consumeSpan(event));
    let failure: unknown;
    try {
      await client.query('begin');
      const { rows } = await client.query<{ ce_id: string }>(
        `insert into ${this.schema}.processed_events (ce_id, ce_type, outcome)
         select id, ce_type, 'applied' from unnest($1::text[], $2::text[]) as t(id, ce_type)
         on conflict (ce_id) do nothing returning ce_id`,
        [ids, ceTypes],
      );
      const claimed = new Set(rows.map((r) => r.ce_id));
      const applying: DeliveredEvent[] = [];
      for (const [i, event] of events.entries()) {
        // Claimed once: the same ce_id twice in a page is applied once, as `handle` would.
        if (!event || !claimed.delete(event.id)) continue;
        outcomes[i] = 'applied';
        applying.push(event);
        if (!this.handler.applyAll) await withSpan(spans[i]!, () => this.handler.apply(event, client));
      }
      if (this.handler.applyAll && applying.length > 0) await this.handler.applyAll(applying, client);
      await inTransaction(client, outcomes);
      await client.query('commit');
    } catch (e) {
      failure = e;
      await client.query('rollback').catch(() => undefined);
    } finally {
      client.release();
    }
    if (failure === undefined) {
      for (const [i, span] of spans.entries()) span?.setAttribute('dropline.outcome', outcomes[i]).end();
      for (const outcome of outcomes) this.observer?.delivered(outcome);
      return { outcomes, transaction: true };
    }
    const status = {
      code: SpanStatusCode.ERROR,
      message: `page rolled back: ${failure instanceof Error ? failure.message : String(failure)}`,
    };
    for (const span of spans) span?.setStatus(status).end();
    if (failure instanceof PermanentRejection) return undefined;
    throw new TransientDeliveryError(`${this.handler.name}: page of ${messages.length} failed: ${(failure as Error).message}`, failure);
  }

  /** The span of one delivery; it continues the event's trace (its traceparent header is the event's context). */
  private consumeSpan(event: DeliveredEvent): Span {
    return droplineTracer().startSpan(
      `consume ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'dropline.consumer': this.handler.name, 'messaging.message.id': event.id, 'dropline.event_type': event.type },
      },
      parentContext(event.traceparent),
    );
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
    const span = this.consumeSpan(event);
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
