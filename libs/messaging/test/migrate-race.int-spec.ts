import { Pool } from 'pg';
import { CheckpointStore } from '@dropline/runtime';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { dropEventsCodec, EffectivelyOnceConsumer, TableDeadLetterSink } from '../src';
import { RecordingHandler } from './fixtures';

/**
 * Engines started together on an empty PostgreSQL database each create the consumers' schemas,
 * their dead-letter tables and the checkpoint table. CREATE … IF NOT EXISTS alone races on the
 * catalog (`duplicate key value violates unique constraint "pg_type_typname_nsp_index"`,
 * `relation "dead_letters" already exists`), and the engine that lost exited at start. Six
 * processes' worth of pools, each its own connections, migrate at once, round after round.
 */
describeWithPostgres('consumer schemas migrated by instances starting together (PostgreSQL)', () => {
  let db: TestPostgresDatabase;
  const pools: Pool[] = [];

  beforeAll(async () => {
    db = await createTestPostgresDatabase('migrate_race', { empty: true });
    for (let i = 0; i < 6; i++) {
      const pool = new Pool({ connectionString: db.url, max: 2 });
      // pool.end() resolves before its connections have closed, and the teardown's DROP DATABASE …
      // WITH (FORCE) may end one that is still closing: an 'error' event on the pool, which an
      // EventEmitter without a listener throws (jest's "Unhandled error").
      pool.on('error', () => undefined);
      pools.push(pool);
    }
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db?.drop();
  });

  it('every instance starts: each schema is created once, none fails on the catalog', async () => {
    const codec = dropEventsCodec('/dropline/test');
    for (let round = 0; round < 8; round++) {
      await db.pool.query('drop schema if exists fulfillment_race cascade; drop schema if exists analytics_race cascade');
      await db.pool.query('drop table if exists dropline_checkpoints');
      const outcomes = await Promise.allSettled(
        pools.flatMap((pool) =>
          ['fulfillment_race', 'analytics_race'].map(async (name) => {
            const sink = new TableDeadLetterSink(pool, name);
            await new EffectivelyOnceConsumer(pool, codec, new RecordingHandler(name), sink).migrate();
            await sink.ensureSchema();
            await new CheckpointStore(pool).ensureSchema();
          }),
        ),
      );
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => String(o.reason));
      expect({ round, failed }).toEqual({ round, failed: [] });
    }
    const { rows } = await db.pool.query(
      `select table_schema || '.' || table_name as t from information_schema.tables
        where table_schema in ('fulfillment_race', 'analytics_race') or table_name = 'dropline_checkpoints' order by 1`,
    );
    expect(rows.map((r) => r.t)).toEqual([
      'analytics_race.applied',
      'analytics_race.dead_letters',
      'analytics_race.processed_events',
      'fulfillment_race.applied',
      'fulfillment_race.dead_letters',
      'fulfillment_race.processed_events',
      'public.dropline_checkpoints',
    ]);
  });
});
