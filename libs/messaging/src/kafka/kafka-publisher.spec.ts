import type { Kafka } from 'kafkajs';
import type { OutboundMessage } from '../transport';
import { KafkaPublisher, messageBytes, splitByBytes } from './kafka-publisher';

const message = (i: number, valueBytes: number): OutboundMessage => ({
  key: `drop-${i % 3}`,
  value: Buffer.alloc(valueBytes, 120),
  headers: { ce_id: `id-${i}`, ce_type: 'dropline.preorder.placed.v1' },
});

describe('KafkaPublisher request size', () => {
  it('splits a round into requests under the byte limit, in order, and sends a larger message alone', () => {
    const messages = Array.from({ length: 1_000 }, (_, i) => message(i, 1_300));
    const parts = splitByBytes(messages, 100_000);
    expect(parts.length).toBeGreaterThan(10);
    for (const part of parts) expect(part.reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(100_000);
    expect(parts.flat()).toEqual(messages);
    const big = message(7, 200_000);
    expect(splitByBytes([messages[0], big, messages[1]], 100_000).map((p) => p.length)).toEqual([1, 1, 1]);
  });

  it('sends a round of 500 maximal events as several produce requests, each under 1 MB', async () => {
    const sends: number[] = [];
    const producer = {
      on: () => undefined,
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async ({ messages }: { messages: Array<{ key: string; value: Buffer; headers: Record<string, string> }> }) => {
        sends.push(messages.reduce((n, m) => n + messageBytes(m), 0));
      },
    };
    const publisher = new KafkaPublisher({ producer: () => producer } as unknown as Kafka, 'topic', { idempotentProducer: false });
    await publisher.publish(Array.from({ length: 500 }, (_, i) => message(i, 3_000)));
    expect(sends.length).toBeGreaterThan(1);
    for (const bytes of sends) expect(bytes).toBeLessThan(1_000_000);
  });
});
