import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase } from '@dropline/event-store';
import { CheckpointStore, ProcessLease } from '@dropline/runtime';
import { dropEventsCodec, KafkaPublisher, Relay } from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { describeKafka, recordingConsumer, startPrivateMockCluster, testKafka, uniqueTopic, waitFor } from '../../../test/support/kafka';
import { appendInterleaved } from './fixtures';

// A private mock cluster: SIGSTOP freezes every broker without disturbing other test files.
describeKafka('relay while the broker is paused (SIGSTOP) and resumed (SIGCONT)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  let cluster: Awaited<ReturnType<typeof startPrivateMockCluster>>;

  beforeAll(async () => {
    cluster = await startPrivateMockCluster();
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    await new CheckpointStore(db.pool).ensureSchema();
  });
  afterAll(async () => {
    cluster?.stop();
    await store?.close();
    await db?.close();
  });

  it('retries with backoff, shows the lag, loses nothing and resumes by itself', async () => {
    const topic = uniqueTopic('pause');
    const kafka = testKafka('pause-test', cluster.brokers, 2_000);
    const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: false }, 2_000);
    const name = `relay:${topic}`;
    const relay = new Relay(store, dropEventsCodec(), publisher, new CheckpointStore(db.pool), new ProcessLease(name, db.pool), {
      name,
      filter: { streamPrefixes: ['drop-'] },
      batchSize: 50,
      backoff: { initialMs: 100, maxMs: 1_000 },
    });
    const ids = await appendInterleaved(store, ['juliet', 'kilo'], 20);
    relay.start();
    const group = await recordingConsumer(kafka, topic, `${topic}.g`);
    try {
      await waitFor(
        () => group.received.length >= ids.length,
        30_000,
        () => `${group.received.length}/${ids.length} before the pause`,
      );
      cluster.pause();
      ids.push(...(await appendInterleaved(store, ['juliet', 'kilo'], 30, 20)));
      await waitFor(
        () => relay.status().state === 'retrying',
        60_000,
        () => `relay state ${relay.status().state}`,
      );
      const during = relay.status();
      expect(during.lastError).toBeDefined();
      expect(during.lag).toBeGreaterThan(0); // PostgresEventStore counts cheaply
      await new Promise((r) => setTimeout(r, 2_000));
      cluster.resume();
      await waitFor(
        () => new Set(group.received.map((r) => r.message.headers!.ce_id!.toString())).size >= ids.length,
        90_000,
        () => `${group.received.length}/${ids.length} after resume`,
      );
      await waitFor(
        () => relay.status().state === 'caught-up',
        30_000,
        () => relay.status().state,
      );
      const received = new Set(group.received.map((r) => r.message.headers!.ce_id!.toString()));
      expect(received).toEqual(new Set(ids));
      for (const dropId of ['juliet', 'kilo']) {
        const seqs = group.received
          .filter((r) => r.message.key!.toString() === dropId)
          .map((r) => JSON.parse(r.message.value!.toString()).seq as number);
        // At least once: a re-send may repeat a suffix, but first deliveries come in order.
        const firsts = seqs.filter((s, i) => seqs.indexOf(s) === i);
        expect(firsts).toEqual(Array.from({ length: 50 }, (_, i) => i));
      }
    } finally {
      cluster.resume();
      await group.stop();
      await relay.stop();
      await publisher.close();
    }
  });
});
