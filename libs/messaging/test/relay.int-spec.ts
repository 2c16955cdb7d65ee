import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase } from '@dropline/event-store';
import { CheckpointStore, ProcessLease } from '@dropline/runtime';
import { dropEventsCodec, KafkaPublisher, Relay } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { describeKafka, isMockCluster, recordingConsumer, testKafka, uniqueTopic, waitFor } from '../../../test/support/kafka';
import { appendInterleaved } from './fixtures';

const header = (m: { headers?: Record<string, unknown> }, name: string) => {
  const v = m.headers?.[name];
  return v === undefined ? undefined : String(v);
};

describeKafka('relay over the Kafka wire protocol', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    await new CheckpointStore(db.pool).ensureSchema();
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  it('delivers every appended event once per consumer group, keyed by drop, with CloudEvents headers, in order per drop', async () => {
    const topic = uniqueTopic('relay');
    const kafka = testKafka('relay-test');
    const dropIds = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    const ids = await appendInterleaved(store, dropIds, 40);
    const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
    const relay = new Relay(
      store,
      dropEventsCodec('/dropline/test'),
      publisher,
      new CheckpointStore(db.pool),
      new ProcessLease(`relay:${topic}`, db.pool),
      {
        name: `relay:${topic}`,
        filter: { streamPrefixes: ['drop-'] },
        batchSize: 100,
      },
    );
    relay.start();
    const groups = [
      await recordingConsumer(kafka, topic, `${topic}.fulfillment`),
      await recordingConsumer(kafka, topic, `${topic}.analytics`),
    ];
    try {
      // Events appended while the relay runs go out too.
      ids.push(...(await appendInterleaved(store, dropIds, 10, 40)));
      for (const g of groups)
        await waitFor(
          () => g.received.length >= ids.length,
          60_000,
          () => `${g.received.length}/${ids.length} received`,
        );
      await new Promise((r) => setTimeout(r, 1_000)); // anything extra would show up now
      for (const g of groups) {
        const ceIds = g.received.map((r) => header(r.message, 'ce_id'));
        expect(ceIds).toHaveLength(ids.length);
        expect(new Set(ceIds)).toEqual(new Set(ids));
        const byDrop = new Map<string, number[]>();
        const partitionOf = new Map<string, number>();
        for (const { partition, message } of g.received) {
          const dropId = message.key!.toString();
          expect(header(message, 'ce_subject')).toBe(dropId);
          expect(header(message, 'ce_partitionkey')).toBe(dropId);
          // One drop, one partition.
          expect(partitionOf.get(dropId) ?? partition).toBe(partition);
          partitionOf.set(dropId, partition);
          byDrop.set(dropId, [...(byDrop.get(dropId) ?? []), JSON.parse(message.value!.toString()).seq]);
        }
        for (const dropId of dropIds) expect(byDrop.get(dropId)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      }
      const first = groups[0].received.find((r) => JSON.parse(r.message.value!.toString()).seq === 1)!.message;
      expect({
        specversion: header(first, 'ce_specversion'),
        type: header(first, 'ce_type'),
        source: header(first, 'ce_source'),
        correlation: header(first, 'ce_correlationid'),
        causation: header(first, 'ce_causationid'),
        contentType: header(first, 'content-type'),
        traceparent: header(first, 'traceparent'),
      }).toEqual({
        specversion: '1.0',
        type: 'dropline.preorder.placed.v1',
        source: '/dropline/test',
        correlation: `corr-${first.key!.toString()}`,
        causation: 'cause-1',
        contentType: 'application/json',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
      expect(header(first, 'ce_time')).toBe('2026-12-01T10:00:01.000Z');
      expect(relay.status()).toMatchObject({ consecutiveFailures: 0, published: ids.length });
    } finally {
      for (const g of groups) await g.stop();
      await relay.stop();
      await publisher.close();
    }
  });

  it('stores the checkpoint only after the broker acknowledged, so a failed send is sent again and nothing is skipped', async () => {
    const topic = uniqueTopic('relay-ack');
    const kafka = testKafka('relay-ack-test');
    const real = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
    let failNext = true;
    const flaky = {
      publish: async (messages: Parameters<KafkaPublisher['publish']>[0]) => {
        await real.publish(messages); // the broker got them...
        if (failNext) {
          failNext = false;
          throw new Error('ack lost'); // ...but the relay never heard back: it must send them again
        }
      },
      close: () => real.close(),
    };
    const checkpoints = new CheckpointStore(db.pool);
    const name = `relay:${topic}`;
    const lease = new ProcessLease(name, db.pool);
    await lease.tryAcquire(); // publishNextBatch runs one round of the holder's loop
    const relay = new Relay(store, dropEventsCodec(), flaky, checkpoints, lease, {
      name,
      filter: { streamPrefixes: ['drop-golf'] },
      batchSize: 1000,
    });
    const ids = await appendInterleaved(store, ['golf'], 20);
    await expect(relay.publishNextBatch()).rejects.toThrow('ack lost');
    expect((await checkpoints.load(name))?.position).toBeUndefined();
    await relay.publishNextBatch();
    expect((await checkpoints.load(name))?.position).toBeDefined();
    const group = await recordingConsumer(kafka, topic, `${topic}.g`);
    try {
      await waitFor(
        () => group.received.length >= 2 * ids.length,
        30_000,
        () => `${group.received.length}/${2 * ids.length}`,
      );
      const counts = new Map<string, number>();
      for (const r of group.received) counts.set(header(r.message, 'ce_id')!, (counts.get(header(r.message, 'ce_id')!) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual([...ids].sort());
      expect(new Set(counts.values())).toEqual(new Set([2]));
    } finally {
      await group.stop();
      await real.close();
    }
  });

  it('lets only the lease holder publish', async () => {
    const name = 'relay:lease-test';
    const holder = new ProcessLease(name, db.pool);
    expect(await holder.tryAcquire()).toBe(true);
    const sent: number[] = [];
    const relay = new Relay(
      store,
      dropEventsCodec(),
      { publish: async (m) => void sent.push(m.length), close: async () => undefined },
      new CheckpointStore(db.pool),
      new ProcessLease(name, db.pool),
      {
        name,
        filter: { streamPrefixes: ['drop-'] },
        leaseRetryMs: 50,
      },
    );
    relay.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(relay.status().state).toBe('standby');
    expect(sent).toEqual([]);
    await holder.release();
    await waitFor(
      () => sent.length > 0,
      5_000,
      () => `state ${relay.status().state}`,
    );
    await relay.stop();
  });
});
