import type { Kafka, Producer } from 'kafkajs';
import type { MessagePublisher, OutboundMessage } from '../transport';
import { KafkaConnection, producerOptions } from './kafka-client';

/** Publishes batches to one topic; resolves after every partition leader has all in-sync replicas' ack. */
export class KafkaPublisher implements MessagePublisher {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    connection: Pick<KafkaConnection, 'idempotentProducer'>,
    private readonly timeoutMs = 30_000,
  ) {
    this.producer = kafka.producer(producerOptions(connection));
    this.producer.on('producer.disconnect', () => (this.connected = undefined));
  }

  async publish(messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.connect();
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        timeout: this.timeoutMs,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
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
