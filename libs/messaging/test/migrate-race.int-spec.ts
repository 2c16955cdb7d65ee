import { Pool } from 'pg';
import { ensureEventStoreSchema } from '@dropline/event-store';
import { CheckpointStore } from '@dropline/runtime';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { dropEventsCodec, EffectivelyOnceConsumer, TableDeadLetterSink } from '../src';
import { RecordingHandler } from './fixtures';
import { within } from '../../../test/support/timing';
import type { Queryable } from '../src';

/** A later release of a consumer: its migration alters a table the running release writes to. */
class NextReleaseHandler extends RecordingHandler {
  override async migrate(db: Queryable): Promise<void> {
    await super.migrate(db);
    await db.query(`alter table ${this.name}.applied add column if not exists note text`);
  }
}

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

  it('every instance starts: each schema is created once, none fails on the catalog, an engine’s event store schema among them', async () => {
    const codec = dropEventsCodec('/dropline/test');
    for (let round = 0; round < 8; round++) {
      await db.pool.query('drop schema if exists fulfillment_race cascade; drop schema if exists analytics_race cascade');
      await db.pool.query('drop table if exists dropline_checkpoints; drop table if exists dropline_schema');
      const outcomes = await Promise.allSettled(
        pools.flatMap((pool) => [
          ...['fulfillment_race', 'analytics_race'].map(async (name) => {
            const sink = new TableDeadLetterSink(pool, name);
            await new EffectivelyOnceConsumer(pool, codec, new RecordingHandler(name), sink).migrate();
            await sink.ensureSchema();
            await new CheckpointStore(pool).ensureSchema();
          }),
          // An engine starting on the same new database: its event store schema creates the table
          // of schema digests (dropline_schema) that the consumers' migrations create too.
          ensureEventStoreSchema(pool),
        ]),
      );
      const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => String(o.reason));
      expect({ round, failed }).toEqual({ round, failed: [] });
    }
    const { rows } = await db.pool.query(
      `select table_schema || '.' || table_name as t from information_schema.tables
        where table_schema in ('fulfillment_race', 'analytics_race') or table_name in ('dropline_checkpoints', 'dropline_schema') order by 1`,
    );
    expect(rows.map((r) => r.t)).toEqual([
      'analytics_race.applied',
      'analytics_race.dead_letters',
      'analytics_race.processed_events',
      'fulfillment_race.applied',
      'fulfillment_race.dead_letters',
      'fulfillment_race.processed_events',
      'public.dropline_checkpoints',
      'public.dropline_schema',
    ]);
  });

  it('a restart while a consumer is mid-transaction asks for no lock; a new release gives way, its lines naming the session holding the tables', async () => {
    const name = 'fulfillment_giveway';
    const codec = dropEventsCodec('/dropline/test');
    const sink = new TableDeadLetterSink(db.pool, name);
    await new EffectivelyOnceConsumer(db.pool, codec, new RecordingHandler(name), sink).migrate();
    await sink.ensureSchema();
    // The running release, in the middle of applying an event: its rows and its dead-letter table locked.
    const holder = await db.pool.connect();
    const warned: string[] = [];
    const logger = { log: () => undefined, warn: (m: string) => warned.push(m), error: () => undefined };
    try {
      // (Locks only: a transaction that wrote a row would hold back PostgreSQL's cluster-wide safe
      // horizon, and with it every other suite's readers of the log, for as long as this test holds it.)
      await holder.query(`BEGIN; LOCK TABLE ${name}.applied, ${name}.dead_letters IN ROW EXCLUSIVE MODE`);
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // A restart of the same release finds its statements recorded and asks for no lock at all.
      const restarted = Promise.all([
        new EffectivelyOnceConsumer(db.pool, codec, new RecordingHandler(name), sink, logger).migrate(),
        sink.ensureSchema((m) => warned.push(m)),
      ]);
      expect(
        await within(
          2_000,
          restarted.then(() => 'started'),
        ),
      ).toBe('started');
      expect(warned).toEqual([]);
      // A release whose statements differ runs them, giving way meanwhile (the dead-letter table's
      // recorded as an earlier release's here).
      await db.pool.query(`update dropline_schema set digest = 'an earlier release' where name = $1`, [`dead-letters:${name}`]);
      const starting = new EffectivelyOnceConsumer(db.pool, codec, new NextReleaseHandler(name), sink, logger).migrate();
      const deadLetters = sink.ensureSchema((m) => warned.push(m));
      for (const deadline = Date.now() + 20_000; warned.length < 2; await new Promise((r) => setTimeout(r, 50))) {
        if (Date.now() > deadline) throw new Error(`no give-way lines: ${JSON.stringify(warned)}`);
      }
      // Each names the holder (and any other session holding one of the tables at that moment).
      const holderNamed = `pid ${holderPid} (`;
      for (const what of ['schema', 'dead letters']) {
        const line = warned.find((m) => m.startsWith(`consumer ${name} ${what}:`));
        expect(line).toMatch(
          new RegExp(
            `^consumer ${name} ${what}: a running transaction holds a lock it needs \\(pid \\d+ \\(.+\\)\\) \\(attempt \\d+\\); giving way`,
          ),
        );
        expect(line).toContain(holderNamed);
        expect(line).toMatch(new RegExp(`pid ${holderPid} \\([^,]+, idle in transaction, transaction open \\d+ s\\)`));
      }
      await holder.query('COMMIT');
      await Promise.all([starting, deadLetters]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    const { rows } = await db.pool.query(
      `select column_name from information_schema.columns where table_schema = $1 and table_name = 'applied' and column_name = 'note'`,
      [name],
    );
    expect(rows).toHaveLength(1);
  });
});
