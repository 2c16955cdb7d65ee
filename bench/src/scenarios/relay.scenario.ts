import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { createPostgresPool, ensureEventStoreSchema, NewEvent, PostgresEventStore } from '@dropline/event-store';
import { createKafka, DROP_EVENTS_FILTER, dropEventsCodec, KafkaPublisher, OutboundMessage, Relay } from '@dropline/messaging';
import { AdvisoryLease, CheckpointStore } from '@dropline/runtime';
import type { BenchContext, BenchResult, Scenario } from '../scenario';
import { createBenchDatabase } from '../support/database';
import { Latencies, numberFlag, ownPeakRssMiB, round } from '../support/stats';

/*
 * relay: event store → Kafka → one consumer group.
 *  1. throughput: --events (20 000) PreOrderPlaced events already in the store over 200 drops;
 *     the relay starts from an empty checkpoint; events/s until the group has received them all.
 *  2. latency: a steady --rate (1 000) events/s appended for --seconds (10) in appends of 10;
 *     delay from the append's commit to the consumer group receiving the message (p50/p99).
 * Baseline in the same run: raw kafkajs producer.send of the same encoded messages (same batch
 * size, same cluster, same consumer settings), i.e. what the relay adds over Kafka itself.
 * Cluster: KAFKA_BROKERS, else a kcat mock cluster started here (producer idempotence off).
 */

const BATCH = 500;

function event(dropId: string, n: number): NewEvent {
  return {
    eventId: randomUUID(),
    type: 'PreOrderPlaced',
    schemaVersion: 1,
    data: {
      dropId,
      preOrderId: `${dropId}.po.${n}`,
      customerId: `c-${n}`,
      sku: 'HOT-M',
      quantity: 1,
      channel: 'web',
      fulfillment: { method: 'ship' },
      unitPrice: 2500,
      basketPercentOff: 0,
      pickupPercentOff: 0,
      total: 2500,
      currency: 'GBP',
      tier: 0,
      sequence: n + 1,
      idempotencyFingerprint: `c-${n}/1`,
      placedAt: new Date().toISOString(),
    },
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      actor: 'bench',
      occurredAt: new Date().toISOString(),
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    },
  };
}

/** A consumer group member that calls `onMessage(ce_id)` for every message. */
async function group(kafka: Kafka, topic: string, name: string, onMessage: (ceId: string) => void) {
  const consumer = kafka.consumer({ groupId: `${topic}.${name}`, maxWaitTimeInMs: 50, sessionTimeout: 30_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) onMessage(m.headers!.ce_id!.toString());
    },
  });
  return consumer;
}

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function cluster(context: BenchContext): Promise<{ brokers: string[]; mock: boolean; stop(): void }> {
  const configured = process.env.KAFKA_BROKERS;
  if (configured) return { brokers: configured.split(','), mock: false, stop: () => undefined };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mock = require(path.resolve(__dirname, '../../../../test/kafka-mock.js'));
  const started = (await mock.startMockCluster(3)) as { pid: number; brokers: string };
  context.log(`kcat mock cluster ${started.brokers}`);
  return { brokers: started.brokers.split(','), mock: true, stop: () => mock.stopMockCluster(started.pid) };
}

export const scenario: Scenario = {
  name: 'relay',
  description:
    'event store → relay → Kafka → consumer group: events/s and append-to-consumer delay at a steady rate, against raw kafkajs sends',
  async run(context: BenchContext): Promise<BenchResult> {
    const events = numberFlag(context.args, 'events', 20_000);
    const rate = numberFlag(context.args, 'rate', 1_000);
    const seconds = numberFlag(context.args, 'seconds', 10);
    const brokers = await cluster(context);
    const db = await createBenchDatabase(context.databaseUrl, 'relay');
    const pool = createPostgresPool(db.url, { max: 10 });
    const store = new PostgresEventStore(pool);
    const kafka = createKafka({ brokers: brokers.brokers, clientId: 'bench', idempotentProducer: !brokers.mock });
    const codec = dropEventsCodec();
    const rows: BenchResult['rows'] = [];
    const cleanups: Array<() => Promise<unknown>> = [];
    try {
      await ensureEventStoreSchema(pool);
      const checkpoints = new CheckpointStore(pool);
      await checkpoints.ensureSchema();
      const run = randomUUID().slice(0, 8);

      // --- 1. throughput: relay
      context.log(`seeding ${events} events`);
      for (let n = 0; n < events; n += 100) {
        await Promise.all(
          Array.from({ length: 10 }, (_, d) =>
            store.appendToStream(
              `drop-bench-${(n / 10 + d) % 200}`,
              Array.from({ length: 10 }, (_, i) => event(`bench-${(n / 10 + d) % 200}`, n + d * 10 + i)),
              'any',
            ),
          ),
        );
      }
      const relayTopic = `bench.relay.${run}`;
      const publisher = new KafkaPublisher(kafka, relayTopic, { idempotentProducer: !brokers.mock });
      let received = 0;
      const consumerA = await group(kafka, relayTopic, 'backlog', () => received++);
      cleanups.push(() => consumerA.disconnect());
      const relay = new Relay(store, codec, publisher, checkpoints, new AdvisoryLease(pool, `relay:${relayTopic}`), {
        name: `relay:${relayTopic}`,
        filter: DROP_EVENTS_FILTER,
        batchSize: BATCH,
        idleMs: 5,
      });
      let t0 = performance.now();
      relay.start();
      cleanups.push(async () => {
        await relay.stop();
        await publisher.close();
      });
      await until(
        () => received >= events,
        300_000,
        () => `${received}/${events}`,
      );
      const relayRate = events / ((performance.now() - t0) / 1000);
      context.log(`relay: ${Math.round(relayRate)} events/s`);

      // --- 1b. throughput: raw kafkajs sends of the same messages
      const all = (await store.readAll({ maxCount: events, filter: DROP_EVENTS_FILTER })).events.map((e) => codec.encode(e));
      const rawTopic = `bench.raw.${run}`;
      const raw = kafka.producer({ idempotent: !brokers.mock, maxInFlightRequests: brokers.mock ? 1 : 5 });
      await raw.connect();
      cleanups.push(() => raw.disconnect());
      let rawReceived = 0;
      const consumerB = await group(kafka, rawTopic, 'backlog', () => rawReceived++);
      cleanups.push(() => consumerB.disconnect());
      const send = (messages: OutboundMessage[], topic: string) =>
        raw.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
      t0 = performance.now();
      for (let i = 0; i < all.length; i += BATCH) await send(all.slice(i, i + BATCH), rawTopic);
      await until(
        () => rawReceived >= events,
        300_000,
        () => `${rawReceived}/${events}`,
      );
      const rawRate = events / ((performance.now() - t0) / 1000);
      context.log(`raw kafkajs: ${Math.round(rawRate)} events/s`);

      // --- 2. latency at a steady rate: relay (append commit → consumer)
      const steady = async (label: string, topic: string, produce: (batch: NewEvent[], dropId: string) => Promise<void>) => {
        const sentAt = new Map<string, number>();
        const latencies = new Latencies();
        const consumer = await group(kafka, topic, 'steady', (ceId) => {
          const at = sentAt.get(ceId);
          if (at !== undefined) latencies.add(performance.now() - at);
        });
        cleanups.push(() => consumer.disconnect());
        await new Promise((r) => setTimeout(r, 3_000)); // let the group settle before measuring
        const perTick = 10;
        const ticks = Math.round((rate * seconds) / perTick);
        const interval = (1000 * perTick) / rate;
        const start = performance.now();
        const pending: Promise<void>[] = [];
        for (let tick = 0; tick < ticks; tick++) {
          const due = start + tick * interval;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          const dropId = `steady-${tick % 50}`;
          const batch = Array.from({ length: perTick }, (_, i) => event(dropId, tick * perTick + i));
          pending.push(
            produce(batch, dropId).then(() => {
              const now = performance.now();
              for (const e of batch) sentAt.set(e.eventId, now);
            }),
          );
        }
        await Promise.all(pending);
        const achieved = (ticks * perTick) / ((performance.now() - start) / 1000);
        await until(
          () => latencies.count >= ticks * perTick,
          120_000,
          () => `${label}: ${latencies.count}/${ticks * perTick}`,
        );
        const s = latencies.summary();
        context.log(`${label}: p50 ${s.p50} ms, p99 ${s.p99} ms at ${Math.round(achieved)} events/s`);
        return { ...s, achieved };
      };
      const relayLatency = await steady('relay', relayTopic, async (batch, dropId) => {
        await store.appendToStream(`drop-${dropId}`, batch, 'any');
      });
      const rawSteadyTopic = `bench.raw-steady.${run}`;
      const rawLatency = await steady('raw kafkajs', rawSteadyTopic, async (batch, dropId) => {
        await send(
          batch.map((e, i) =>
            codec.encode({ ...e, streamName: `drop-${dropId}`, revision: i, position: '0', recordedAt: new Date().toISOString() }),
          ),
          rawSteadyTopic,
        );
      });

      rows.push(
        {
          path: 'store → relay → Kafka → group',
          'events/s (backlog)': Math.round(relayRate),
          'steady rate': Math.round(relayLatency.achieved),
          'p50 ms': relayLatency.p50,
          'p99 ms': relayLatency.p99,
          'max ms': relayLatency.max,
        },
        {
          path: 'baseline: raw kafkajs send → group',
          'events/s (backlog)': Math.round(rawRate),
          'steady rate': Math.round(rawLatency.achieved),
          'p50 ms': rawLatency.p50,
          'p99 ms': rawLatency.p99,
          'max ms': rawLatency.max,
        },
      );
      return {
        scenario: 'relay',
        rows,
        summary: {
          cluster: brokers.mock ? 'kcat mock (3 brokers)' : brokers.brokers.join(','),
          events,
          'relay events/s': Math.round(relayRate),
          'raw events/s': Math.round(rawRate),
          'relay/raw throughput': round(relayRate / rawRate, 2),
          'relay p50 ms': relayLatency.p50,
          'relay p99 ms': relayLatency.p99,
          'raw p50 ms': rawLatency.p50,
          'raw p99 ms': rawLatency.p99,
        },
        targets: { [`relay keeps up with ${rate} events/s`]: relayRate >= rate && relayLatency.achieved >= rate * 0.95 },
        peakRssMiB: ownPeakRssMiB(),
      };
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await db.drop().catch(() => undefined);
      brokers.stop();
    }
  },
};
