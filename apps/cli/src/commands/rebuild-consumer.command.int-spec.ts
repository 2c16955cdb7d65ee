import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedDatabase } from '@dropline/event-store';
import { FulfillmentHandler } from '@dropline/fulfillment';
import { dropEventsCodec, EffectivelyOnceConsumer, TableDeadLetterSink } from '@dropline/messaging';
import { CheckpointStore } from '@dropline/runtime';
import { runCli } from '../main';
import { capturedIo as capture } from '../testing/captured-io';

/**
 * `dropline rebuild-consumer` on the embedded DATA_DIR (the engine stopped): the consumer's schema
 * and checkpoint go in one transaction, its dead letters are kept in a copy, the other consumer
 * is untouched. The PostgreSQL path, with an engine holding the lease, is in
 * apps/engine/test/consumer-rebuild.e2e-spec.ts.
 */
describe('dropline rebuild-consumer (the embedded DATA_DIR)', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'dropline-cli-rebuild-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("drops the consumer's schema and checkpoint, keeps its dead letters in a copy, and nothing else", async () => {
    let db = await createEmbeddedDatabase({ dataDir: dir });
    try {
      const sink = new TableDeadLetterSink(db.pool, 'fulfillment');
      const consumer = new EffectivelyOnceConsumer(db.pool, dropEventsCodec('/dropline/test'), new FulfillmentHandler(3), sink);
      await consumer.migrate();
      await sink.ensureSchema();
      expect(await consumer.handle({ key: 'k', value: Buffer.from('{oops'), headers: { ce_id: randomUUID() } })).toBe('dead-lettered');
      const checkpoints = new CheckpointStore(db.pool);
      await checkpoints.ensureSchema();
      await db.pool.query(
        `insert into dropline_checkpoints (name, position) values ('consumer:fulfillment', '1:9'), ('consumer:analytics', '1:9')`,
      );
    } finally {
      await db.close();
    }

    const refused = capture({ DATA_DIR: dir });
    expect(await runCli(['rebuild-consumer', 'fulfillment'], refused)).toBe(2);
    expect(refused.err()).toContain('confirm with --yes');

    // With KAFKA_BROKERS the group may be running (it holds no lease): refused until the operator says it is stopped.
    const kafka = capture({ DATA_DIR: dir, KAFKA_BROKERS: '127.0.0.1:1', KAFKA_GROUP_PREFIX: 'staging.' });
    expect(await runCli(['rebuild-consumer', 'fulfillment', '--yes'], kafka)).toBe(2);
    expect(kafka.err()).toContain('consumer group staging.fulfillment');
    expect(kafka.err()).toContain('--group-stopped');

    const io = capture({ DATA_DIR: dir });
    expect(await runCli(['rebuild-consumer', 'fulfillment', '--yes'], io)).toBe(0);
    const copy = /kept in public\.(fulfillment_dead_letters_\d{8}t\d{6}z)/.exec(io.err())?.[1];
    expect(copy).toBeDefined();

    db = await createEmbeddedDatabase({ dataDir: dir });
    try {
      expect((await db.pool.query(`select to_regnamespace('fulfillment')::text as s`)).rows).toEqual([{ s: null }]);
      expect((await db.pool.query(`select name from dropline_checkpoints order by name`)).rows).toEqual([{ name: 'consumer:analytics' }]);
      expect((await db.pool.query(`select reason, value from public.${copy}`)).rows).toEqual([{ reason: 'unparseable', value: '{oops' }]);
    } finally {
      await db.close();
    }
  }, 60_000);

  it('refuses a consumer with a database of its own (a Kafka service): its procedure is another', async () => {
    const io = capture({ DATA_DIR: dir, FULFILLMENT_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(await runCli(['rebuild-consumer', 'fulfillment', '--yes'], io)).toBe(2);
    expect(io.err()).toContain('FULFILLMENT_DATABASE_URL');
    expect(await runCli(['rebuild-consumer', 'shipping', '--yes'], capture({ DATA_DIR: dir }))).toBe(2);
  });
});
