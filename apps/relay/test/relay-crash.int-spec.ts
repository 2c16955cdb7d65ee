import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PostgresEventStore } from '@dropline/event-store';
import { dropEventsCodec, EffectivelyOnceConsumer, KafkaConsumerRunner, TableDeadLetterSink } from '@dropline/messaging';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import {
  describeKafka,
  isMockCluster,
  kafkaBrokers,
  recordingConsumer,
  testKafka,
  uniqueTopic,
  waitFor,
} from '../../../test/support/kafka';
import { appendInterleaved, RecordingHandler } from '../../../libs/messaging/test/fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const MAIN = path.join(ROOT, 'dist/apps/relay/src/main.js');
const describeIt = requirePostgres() ? describeKafka : describe.skip;
// The shared PostgreSQL's gap-safe read horizon stalls while any long transaction runs on the
// server (other suites, benchmarks): generous deadlines keep that from reading as a lost event.
jest.setTimeout(300_000);

/** The BUILT relay as its own OS process (`npm run build` first; npm test does). */
function startRelayProcess(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    // Its health listener on a port of the system's choosing: several runs share the host.
    env: { PATH: process.env.PATH ?? '', RELAY_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

describeIt('relay process killed mid-stream (SIGKILL) and restarted', () => {
  let db: TestPostgresDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestPostgresDatabase('relay_crash');
    store = new PostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('delivers everything, with duplicates only, and the consumer state shows each event once', async () => {
    const topic = uniqueTopic('crash');
    const kafka = testKafka('crash-test');
    const dropIds = ['lima', 'mike', 'november', 'oscar', 'papa', 'quebec'];
    const ids = await appendInterleaved(store, dropIds, 250);
    const env = {
      EVENT_STORE: 'postgres',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers()!.join(','),
      KAFKA_IDEMPOTENT_PRODUCER: String(!isMockCluster()),
      KAFKA_TOPIC: topic,
      RELAY_BATCH_SIZE: '25',
      LOG_LEVEL: 'warn',
    };
    const raw = await recordingConsumer(kafka, topic, `${topic}.raw`);
    const handler = new RecordingHandler('crash_consumer');
    const codec = dropEventsCodec();
    const consumer = new EffectivelyOnceConsumer(db.pool, codec, handler, new TableDeadLetterSink(db.pool, 'crash_consumer'));
    await consumer.migrate();
    const runner = new KafkaConsumerRunner(kafka, consumer, { topic, groupId: `${topic}.effects` });
    await runner.start();
    let relay = startRelayProcess(env);
    try {
      await waitFor(
        () => raw.received.length >= 300,
        120_000,
        () => `only ${raw.received.length} before the kill:\n${relay.output()}`,
      );
      relay.child.kill('SIGKILL');
      await new Promise((r) => relay.child.once('exit', r));
      const atKill = raw.received.length;
      expect(atKill).toBeLessThan(ids.length); // really mid-stream
      ids.push(...(await appendInterleaved(store, dropIds, 20, 250)));
      relay = startRelayProcess(env);
      const unique = () => new Set(raw.received.map((r) => r.message.headers!.ce_id!.toString()));
      await waitFor(
        () => unique().size >= ids.length,
        180_000,
        () => `${unique().size}/${ids.length} after restart:\n${relay.output()}`,
      );
      expect(unique()).toEqual(new Set(ids));
      await waitFor(
        async () => (await db.pool.query(`select count(*)::int as n from crash_consumer.applied`)).rows[0].n >= ids.length,
        60_000,
        () => 'consumer behind',
      );
      await new Promise((r) => setTimeout(r, 1_000));
      const { rows } = await db.pool.query(`select drop_id, seq, ce_id from crash_consumer.applied order by ordinal`);
      expect(rows).toHaveLength(ids.length);
      expect(new Set(rows.map((r) => r.ce_id)).size).toBe(ids.length);
      for (const dropId of dropIds)
        expect(rows.filter((r) => r.drop_id === dropId).map((r) => r.seq)).toEqual(Array.from({ length: 270 }, (_, i) => i));
    } finally {
      relay.child.kill('SIGKILL');
      await runner.stop();
      await raw.stop();
    }
  });
});
