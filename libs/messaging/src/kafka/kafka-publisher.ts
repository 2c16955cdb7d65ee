import type { Kafka, Producer } from 'kafkajs';
import type { MessagePublisher, OutboundMessage } from '../transport';
import { KafkaConnection, producerOptions } from './kafka-client';

/**
 * Bytes one produce request may carry. Kafka refuses a record batch over the broker's
 * `message.max.bytes` (1 MB by default) and kafkajs puts a whole send for a partition in one batch,
 * so a round of the relay is sent in requests under this, with room for the protocol's overhead.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 900_000;
/** Per-record overhead counted on top of key, value and headers (varints, attributes, offsets). */
const RECORD_OVERHEAD_BYTES = 64;

/** Bytes a message adds to a produce request, as counted against maxRequestBytes. */
export function messageBytes(m: OutboundMessage): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(m.key) + m.value.length;
  for (const [name, value] of Object.entries(m.headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  return bytes;
}

/** Splits messages, in order, into runs whose bytes stay under `max` (a single larger message goes alone). */
export function splitByBytes(messages: readonly OutboundMessage[], max: number): OutboundMessage[][] {
  const parts: OutboundMessage[][] = [];
  let part: OutboundMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageBytes(m);
    if (part.length > 0 && bytes + size > max) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(m);
    bytes += size;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/**
 * Where the kafkajs instrumentation (when tracing is on) finds a message's own traceparent to
 * put back after injecting its send span's: the header carries the event's context. Not
 * enumerable, so kafkajs never sends it.
 */
const EVENT_TRACEPARENT = Symbol.for('dropline.event-traceparent');

function keepTraceparent(headers: Record<string, string>): Record<string, string> {
  const copy = { ...headers };
  if (headers.traceparent) Object.defineProperty(copy, EVENT_TRACEPARENT, { value: headers.traceparent, enumerable: false });
  return copy;
}

/** Publishes batches to one topic; resolves after every partition leader has all in-sync replicas' ack. */
export class KafkaPublisher implements MessagePublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    connection: Pick<KafkaConnection, 'idempotentProducer'>,
    private readonly timeoutMs = 30_000,
    private readonly maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES,
  ) {
    this.producer = kafka.producer(producerOptions(connection));
    this.producer.on('producer.disconnect', () => (this.connected = undefined));
  }

  async publish(messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    try {
      // In order, one request after the other: a failure part-way republishes the earlier parts on the
      // relay's next round (it checkpoints only after all), which consumers drop by ce_id.
      for (const part of splitByBytes(messages, this.maxRequestBytes)) {
        await this.producer.send({
          topic: this.topic,
          acks: -1,
          timeout: this.timeoutMs,
          messages: part.map((m) => ({ key: m.key, value: m.value, headers: keepTraceparent(m.headers) })),
        });
      }
    } catch (e) {
      // A failed send may leave the connection in a bad state; the next publish reconnects.
      this.connected = undefined;
      throw e;
    }
  }

  private connect(): Promise<void> {
    if (!this.connected) {
      this.connected = this.producer.connect().catch((e: unknown) => {
        this.connected = undefined;
        throw e;
      });
    }
    return this.connected;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
