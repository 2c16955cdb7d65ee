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

/** Embedded mode: dead letters land in a table of the consumer's own schema. */
export class TableDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly db: Queryable,
    private readonly schema: string,
  ) {}

  async ensureSchema(): Promise<void> {
    await this.db.query(
      `create table if not exists ${this.schema}.dead_letters (
         id bigserial primary key, ce_id text, reason text not null, detail text not null,
         key text, value text, headers jsonb not null, dead_lettered_at timestamptz not null default now())`,
    );
  }

  async send(letter: DeadLetter): Promise<void> {
    const headers: Record<string, string | undefined> = {};
    for (const name of Object.keys(letter.message.headers)) headers[name] = headerString(letter.message.headers, name);
    const text = (v: Buffer | string | null) => (v === null ? null : Buffer.isBuffer(v) ? v.toString('utf8') : v);
    await this.db.query(
      `insert into ${this.schema}.dead_letters (ce_id, reason, detail, key, value, headers) values ($1, $2, $3, $4, $5, $6)`,
      [headers.ce_id ?? null, letter.reason, letter.detail, text(letter.message.key), text(letter.message.value), JSON.stringify(headers)],
    );
  }
}
