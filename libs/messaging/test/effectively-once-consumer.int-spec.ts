import { randomUUID } from 'node:crypto';
import { ensureEventStoreSchema, PostgresEventStore, type EmbeddedDatabase, type RecordedEvent } from '@dropline/event-store';
import {
  createKafka,
  DeadLetterSinks,
  dropEventsCodec,
  EffectivelyOnceConsumer,
  KafkaConsumerRunner,
  KafkaDeadLetterSink,
  KafkaPublisher,
  OutboundMessage,
  TableDeadLetterSink,
} from '../src';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import {
  describeKafka,
  isMockCluster,
  kafkaBrokers,
  recordingConsumer,
  testKafka,
  uniqueTopic,
  waitFor,
} from '../../../test/support/kafka';
import { appendInterleaved, RecordingHandler } from './fixtures';

const codec = dropEventsCodec('/dropline/test');

describe('EffectivelyOnceConsumer (PGlite)', () => {
  let db: EmbeddedDatabase;
  let store: PostgresEventStore;
  let events: RecordedEvent[];

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
    await appendInterleaved(store, ['hotel', 'india'], 10);
    events = (await store.readAll({ filter: { streamPrefixes: ['drop-'] } })).events;
  });
  afterAll(async () => {
    await store?.close();
    await db?.close();
  });

  it('applies a duplicate delivery once: same ce_id under another offset changes nothing', async () => {
    const handler = new RecordingHandler('dup_test');
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, new TableDeadLetterSink(db.pool, 'dup_test'));
    await consumer.migrate();
    const outcomes: string[] = [];
    for (const [i, event] of events.entries()) outcomes.push(await consumer.handle({ ...codec.encode(event), offset: String(i) }));
    // The relay re-sends everything after a crash: new offsets, same ce_ids.
    for (const [i, event] of events.entries()) outcomes.push(await consumer.handle({ ...codec.encode(event), offset: String(1000 + i) }));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(events.length);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(events.length);
    const { rows } = await db.pool.query(`select count(*)::int as n, count(distinct ce_id)::int as d from dup_test.applied`);
    expect(rows[0]).toEqual({ n: events.length, d: events.length });
  });

  it('dead-letters what it can never apply and moves on, and retries (never dead-letters) a transient failure', async () => {
    const handler = new RecordingHandler('dl_test');
    const sink = new TableDeadLetterSink(db.pool, 'dl_test');
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, sink);
    await consumer.migrate();
    await sink.ensureSchema();
    const good = codec.encode(events[0]);
    expect(await consumer.handle({ ...good, value: Buffer.from('{oops') })).toBe('dead-lettered');
    expect(
      await consumer.handle({ ...good, headers: { ...good.headers, ce_id: randomUUID(), ce_type: 'dropline.preorder.placed.v9' } }),
    ).toBe('dead-lettered');
    handler.reject = (e) => e.id === events[1].eventId;
    expect(await consumer.handle(codec.encode(events[1]))).toBe('dead-lettered');
    expect(await consumer.handle(codec.encode(events[1]))).toBe('duplicate');
    handler.failFirst = 2;
    await expect(consumer.handle(codec.encode(events[2]))).rejects.toThrow(/ECONNREFUSED/);
    await expect(consumer.handle(codec.encode(events[2]))).rejects.toThrow(/ECONNREFUSED/);
    expect(await consumer.handle(codec.encode(events[2]))).toBe('applied');
    const { rows } = await db.pool.query(`select reason from dl_test.dead_letters order by id`);
    expect(rows.map((r) => r.reason)).toEqual(['unparseable', 'unknown-schema', 'rejected:TEST.REJECTED']);
    expect((await db.pool.query(`select ce_id from dl_test.applied`)).rows).toEqual([{ ce_id: events[2].eventId }]);
  });

  describeKafka('as a Kafka consumer group', () => {
    /** A migrated consumer of a RecordingHandler, dead-lettering to its own table. */
    async function recordingConsumerOf(name: string): Promise<EffectivelyOnceConsumer> {
      const consumer = new EffectivelyOnceConsumer(db.pool, codec, new RecordingHandler(name), new TableDeadLetterSink(db.pool, name));
      await consumer.migrate();
      return consumer;
    }

    /** Runs the runner's task as its supervisor does, until abort(). */
    function supervise(runner: KafkaConsumerRunner): { abort(): void; running: Promise<void> } {
      const abort = new AbortController();
      const running = runner.task().run({
        fence: 0,
        signal: abort.signal,
        held: () => !abort.signal.aborted,
        sleep: async () => undefined,
        up: () => undefined,
      });
      return { abort: () => abort.abort(), running };
    }

    it('applies each event once despite re-sends, pauses the partition on transient failures, and dead-letters poison messages to its own table and the dead-letter topic', async () => {
      const topic = uniqueTopic('consumer');
      const dlTopic = `${topic}.dlq`;
      const kafka = testKafka('consumer-test');
      const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
      const messages: OutboundMessage[] = events.map((e) => codec.encode(e));
      await publisher.publish(messages);
      // A poison message between good ones, then the whole batch again, as a relay would after a crash.
      await publisher.publish([{ key: 'hotel', value: Buffer.from('not json'), headers: { ...messages[0].headers, ce_id: randomUUID() } }]);
      await publisher.publish(messages);
      const handler = new RecordingHandler('kafka_test');
      // A few events fail once first (their database 'down'): the partition pauses and resumes.
      handler.failFirst = 2;
      handler.failOnly = new Set([events[0].eventId, events[7].eventId, events[15].eventId]);
      const deadLetters = new KafkaDeadLetterSink(kafka, dlTopic, { idempotentProducer: !isMockCluster() });
      // As the engine and the consumer services do: the consumer's table (what a redrive reads), then the topic.
      const table = new TableDeadLetterSink(db.pool, 'kafka_test');
      const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, new DeadLetterSinks(table, deadLetters));
      await consumer.migrate();
      await table.ensureSchema();
      const outcomes: string[] = [];
      const runner = new KafkaConsumerRunner(kafka, consumer, {
        topic,
        groupId: `${topic}.g`,
        backoff: { initialMs: 20, maxMs: 50 },
        onOutcome: (o) => outcomes.push(o),
      });
      await runner.start();
      const dlq = await recordingConsumer(kafka, dlTopic, `${dlTopic}.g`);
      try {
        await waitFor(
          () => outcomes.length >= 2 * events.length + 1,
          60_000,
          () => `${outcomes.length} outcomes`,
        );
        await waitFor(
          () => dlq.received.length >= 1,
          30_000,
          () => 'no dead letter',
        );
        expect(outcomes.filter((o) => o === 'applied')).toHaveLength(events.length);
        expect(outcomes.filter((o) => o === 'dead-lettered')).toHaveLength(1);
        const { rows } = await db.pool.query(`select drop_id, seq from kafka_test.applied order by ordinal`);
        expect(rows).toHaveLength(events.length);
        for (const dropId of ['hotel', 'india']) {
          expect(rows.filter((r) => r.drop_id === dropId).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i));
        }
        expect(dlq.received[0].message.headers?.dl_reason?.toString()).toBe('unparseable');
        expect(dlq.received[0].message.value?.toString()).toBe('not json');
        const ledger = (await db.pool.query(`select reason, value, headers->>'ce_id' as ce_id from kafka_test.dead_letters`)).rows;
        expect(ledger).toEqual([{ reason: 'unparseable', value: 'not json', ce_id: dlq.received[0].message.headers?.ce_id?.toString() }]);
      } finally {
        await dlq.stop();
        await runner.stop();
        await deadLetters.close();
        await publisher.close();
      }
    });

    it('abandoned before its join settles (stop bound passed), it hands nothing to its handler afterwards', async () => {
      const topic = uniqueTopic('consumer-abandon');
      const kafka = testKafka('consumer-abandon-test');
      // Waiting in the topic before the consumer starts: a consumer that went on after its stop would apply it.
      const publisher = new KafkaPublisher(kafka, topic, { idempotentProducer: !isMockCluster() });
      await publisher.publish([codec.encode(events[0])]);
      await publisher.close();
      const consumer = await recordingConsumerOf('kafka_abandon');
      const outcomes: string[] = [];
      const runner = new KafkaConsumerRunner(kafka, consumer, {
        topic,
        groupId: `${topic}.g`,
        stopTimeoutMs: 1,
        onOutcome: (o) => outcomes.push(o),
      });
      const supervised = supervise(runner);
      await new Promise((r) => setTimeout(r, 50));
      supervised.abort();
      await supervised.running;
      // Long enough for the join to finish (it took 3 s or less on the mock cluster) and a fetch to return.
      await new Promise((r) => setTimeout(r, 8_000));
      expect(outcomes).toEqual([]);
      expect((await db.pool.query(`select count(*)::int as n from kafka_abandon.applied`)).rows[0].n).toBe(0);
    }, 30_000);

    it('stopped while it is still joining its group, finishes the join and leaves: no crash logged, within its stop bound', async () => {
      const topic = uniqueTopic('consumer-stop');
      const logged: string[] = [];
      const kafka = createKafka(
        { brokers: kafkaBrokers()!, clientId: 'consumer-stop-test', idempotentProducer: !isMockCluster() },
        (level, message) => logged.push(`${level}: ${message}`),
      );
      const consumer = await recordingConsumerOf('kafka_stop');
      const stopTimeoutMs = 5_000;
      const runner = new KafkaConsumerRunner(kafka, consumer, { topic, groupId: `${topic}.g`, stopTimeoutMs });
      for (const stopAfterMs of [0, 300]) {
        const supervised = supervise(runner);
        await new Promise((r) => setTimeout(r, stopAfterMs));
        const stoppedAt = Date.now();
        supervised.abort();
        await supervised.running;
        expect(Date.now() - stoppedAt).toBeLessThan(stopTimeoutMs + 1_000);
      }
      // kafkajs reports a consumer disconnected under its own join a moment later, if at all.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(logged.filter((line) => line.startsWith('error'))).toEqual([]);
    });
  });
});
