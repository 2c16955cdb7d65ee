import { isUtf8 } from 'node:buffer';
import { migrateOnceUnlessApplied, warnOfLockWaits, type SchemaQueryable } from '@dropline/event-store';
import { createHash } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { headerString, InboundMessage } from '../transport';
import { KafkaConnection, producerOptions } from '../kafka/kafka-client';
import type { Queryable } from './consumer-handler';

/** A message a consumer can never apply, with why. */
export interface DeadLetter {
  consumer: string;
  /** `unparseable`, `unknown-schema` or `rejected:<code>`. */
  reason: string;
  detail: string;
  message: InboundMessage;
}

/** Where undeliverable messages go. A failing send is transient: the message is retried, not lost. */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

const toBuffer = (v: Buffer | string | null): Buffer | null => (v === null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));

/** The dead-letter topic: the original key, value and headers, plus dl_* headers saying why and from where. */
export class KafkaDeadLetterSink implements DeadLetterSink {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    connection: Pick<KafkaConnection, 'idempotentProducer'>,
  ) {
    this.producer = kafka.producer(producerOptions(connection));
  }

  async send(letter: DeadLetter): Promise<void> {
    this.connected ??= this.producer.connect().catch((e: unknown) => {
      this.connected = undefined;
      throw e;
    });
    await this.connected;
    const headers: Record<string, string> = {};
    for (const name of Object.keys(letter.message.headers)) {
      const value = headerString(letter.message.headers, name);
      if (value !== undefined) headers[name] = value;
    }
    Object.assign(headers, {
      dl_reason: letter.reason,
      dl_detail: letter.detail.slice(0, 1000),
      dl_consumer: letter.consumer,
      dl_topic: letter.message.topic ?? '',
      dl_partition: String(letter.message.partition ?? ''),
      dl_offset: letter.message.offset ?? '',
    });
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: toBuffer(letter.message.key), value: toBuffer(letter.message.value), headers }],
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** The rows a message's fingerprint is unique among: waiting, or written off. */
const OPEN_FINGERPRINT = `redriven_at is null or redrive_outcome = 'dismissed'`;

/** PostgreSQL text and jsonb hold no NUL: one is kept as U+FFFD (a dead letter's headers and detail are for reading). */
const storable = (text: string): string => text.replaceAll('\u0000', '\ufffd');

/** The message's key and value as stored: UTF-8 text when both are (and hold no NUL), else base64 so no byte is lost. */
function storedBody(message: InboundMessage): { encoding: 'utf8' | 'base64'; key: string | null; value: string | null } {
  const key = toBuffer(message.key);
  const value = toBuffer(message.value);
  const text = [key, value].every((b) => b === null || (isUtf8(b) && !b.includes(0)));
  const encode = (b: Buffer | null) => (b === null ? null : b.toString(text ? 'utf8' : 'base64'));
  return { encoding: text ? 'utf8' : 'base64', key: encode(key), value: encode(value) };
}

/** The columns ensureSchema added last: a table that has them all is at this code's shape. */
const LATEST_COLUMNS = ['encoding', 'redriven_at', 'redrive_outcome', 'fingerprint'];

/**
 * The consumer's own ledger of what it dead-lettered: a table in its schema, in the database of
 * its rows and ce_ids. Every mode writes it (Kafka mode also sends to the dead-letter topic), so
 * an operator can list and redrive dead letters wherever the consumer runs (DeadLetterLedger).
 */
export class TableDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
  ) {}

  /**
   * Whether ensureSchema has brought the table to this code's shape, checked in the catalog
   * without a lock on the table: `missing` (the consumer never ran against this database),
   * `outdated` (an earlier release made it), `current`. Tools use it instead of migrating: an
   * ALTER TABLE waits for every open reader of the table and stalls the consumer behind it.
   */
  async schemaState(): Promise<'missing' | 'outdated' | 'current'> {
    const { rows } = await this.db.query<{ present: boolean; columns: number }>(
      `select to_regclass($1) is not null as present,
              (select count(*)::int from information_schema.columns
                where table_schema = $2 and table_name = 'dead_letters' and column_name = any($3::text[])) as columns`,
      [`${this.schema}.dead_letters`, this.schema, LATEST_COLUMNS],
    );
    if (!rows[0].present) return 'missing';
    return rows[0].columns === LATEST_COLUMNS.length ? 'current' : 'outdated';
  }

  /** Creates or brings the table up to date; `warn` is told of each give-way to running work (migrateOnce). */
  async ensureSchema(warn?: (message: string) => void): Promise<void> {
    const options = warn
      ? warnOfLockWaits(`consumer ${this.schema} dead letters`, warn, { pool: this.db, tables: [`${this.schema}.dead_letters`] })
      : {};
    // Once, whatever the number of instances starting together, and not at all by a table already
    // at these statements (migrateOnceUnlessApplied).
    await migrateOnceUnlessApplied(
      this.db,
      { name: `dead-letters:${this.schema}`, tables: [`${this.schema}.dead_letters`] },
      (db) => this.ddl(db),
      options,
    );
  }

  private async ddl(db: SchemaQueryable): Promise<void> {
    await db.query(
      `create table if not exists ${this.schema}.dead_letters (
       id bigserial primary key, ce_id text, reason text not null, detail text not null,
       key text, value text, headers jsonb not null, dead_lettered_at timestamptz not null default now())`,
    );
    // Added by the redrive (2026-12): how key and value are stored, what a redrive did, and the
    // message's fingerprint, unique among the rows waiting or dismissed: a send retried (the topic
    // after the table failed, a process that died before recording the ce_id) adds no row, and a
    // message written off stays written off when it is delivered again (a relay re-publish).
    await db.query(
      `alter table ${this.schema}.dead_letters
       add column if not exists encoding text not null default 'utf8',
       add column if not exists redriven_at timestamptz,
       add column if not exists redrive_outcome text,
       add column if not exists fingerprint text`,
    );
    await db.query(`drop index if exists ${this.schema}.dead_letters_waiting_fingerprint`);
    await db.query(
      `create unique index if not exists dead_letters_open_fingerprint on ${this.schema}.dead_letters (fingerprint)
       where ${OPEN_FINGERPRINT}`,
    );
    await db.query(`create index if not exists dead_letters_waiting on ${this.schema}.dead_letters (id) where redriven_at is null`);
    await db.query(
      `create index if not exists dead_letters_redriving on ${this.schema}.dead_letters (redriven_at) where redrive_outcome = 'redriving'`,
    );
    // What the retention deletes (DeadLetterLedger.prune): settled rows by when they were settled.
    await db.query(
      `create index if not exists dead_letters_settled on ${this.schema}.dead_letters (redriven_at) where redrive_outcome <> 'redriving'`,
    );
  }

  async send(letter: DeadLetter): Promise<void> {
    const headers: Record<string, string> = {};
    for (const name of Object.keys(letter.message.headers)) {
      const value = headerString(letter.message.headers, name);
      if (value !== undefined) headers[storable(name)] = storable(value);
    }
    const body = storedBody(letter.message);
    const reason = storable(letter.reason);
    const sorted = Object.keys(headers)
      .sort()
      .map((name) => [name, headers[name]]);
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([reason, body.encoding, body.key, body.value, sorted]))
      .digest('base64url');
    await this.db.query(
      `insert into ${this.schema}.dead_letters (ce_id, reason, detail, key, value, headers, encoding, fingerprint)
       values ($1, $2, $3, $4, $5, $6, $7, $8)
       on conflict (fingerprint) where ${OPEN_FINGERPRINT} do nothing`,
      [headers.ce_id ?? null, reason, storable(letter.detail), body.key, body.value, JSON.stringify(headers), body.encoding, fingerprint],
    );
  }
}

/** Several sinks, each sent every letter in turn (Kafka mode: the consumer's table, then the topic). */
export class DeadLetterSinks implements DeadLetterSink {
  private readonly sinks: readonly DeadLetterSink[];

  constructor(...sinks: DeadLetterSink[]) {
    this.sinks = sinks;
  }

  async send(letter: DeadLetter): Promise<void> {
    for (const sink of this.sinks) await sink.send(letter);
  }
}
