import type { Pool } from 'pg';
import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../../test/support/postgres';
import { newEvent } from '../event-store.contract';
import { PostgresEventStore } from './postgres.event-store';
import { ensureEventStoreSchema } from './postgres.schema';
import { within } from '../../../../test/support/timing';

// A release that adds an index to `events` (events_causation_idx came with causation lookups)
// builds it on every existing log at the first start. These tests drop the index from a log and
// start again: the build must never hold appends for its length.

const CAUSATION_INDEX_SQL = `CREATE INDEX CONCURRENTLY events_causation_idx ON events ((metadata->>'causationId'), transaction_id, global_position)
  WHERE metadata->>'causationId' IS NOT NULL`;

/** events_causation_idx's pg_index.indisvalid, or 'missing'. */
async function causationIndex(pool: Pool): Promise<boolean | 'missing'> {
  const { rows } = await pool.query<{ valid: boolean }>(
    `SELECT x.indisvalid AS valid FROM pg_index x WHERE x.indexrelid = to_regclass('events_causation_idx')`,
  );
  return rows[0]?.valid ?? 'missing';
}

async function until(what: string, condition: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !(await condition());) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describeWithPostgres('event store schema on PostgreSQL: an index a release adds to an existing log', () => {
  jest.setTimeout(60_000);
  let db: TestPostgresDatabase;
  let store: PostgresEventStore;
  beforeEach(async () => {
    db = await createTestPostgresDatabase('events_indexes', { poolSize: 12 });
    store = new PostgresEventStore(db.pool);
    await store.appendToStream('before-the-release', [newEvent(), newEvent()], 'no_stream');
    await db.pool.query('DROP INDEX events_causation_idx');
  });
  afterEach(async () => {
    await store?.close();
    await db?.drop();
  });

  const concurrentBuilds = async () =>
    (
      await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_progress_create_index
          WHERE datname = current_database() AND command = 'CREATE INDEX CONCURRENTLY'`,
      )
    ).rows[0]!.n;

  /** An open append of another instance (ROW EXCLUSIVE on events until `release`). */
  async function openAppend(): Promise<{ release(): Promise<void> }> {
    const holder = await db.pool.connect();
    await holder.query('BEGIN; LOCK TABLE events IN ROW EXCLUSIVE MODE');
    return {
      async release() {
        await holder.query('COMMIT');
        holder.release();
      },
    };
  }

  it('is built concurrently: appends go on while the build waits for an open append, and the start ends with it valid', async () => {
    const append = await openAppend();
    const log: string[] = [];
    let starting: Promise<void> | undefined;
    try {
      starting = ensureEventStoreSchema(db.pool, { log: (m) => log.push(m) });
      await until('a concurrent build of the index', async () => (await concurrentBuilds()) === 1);
      for (let i = 0; i < 5; i++) {
        const appended = store.appendToStream(`during-the-build-${i}`, [newEvent()], 'no_stream').then(() => 'appended');
        expect(await within(2_000, appended)).toBe('appended');
      }
      expect(await causationIndex(db.pool)).toBe(false);
    } finally {
      await append.release();
      await starting;
    }
    expect(await causationIndex(db.pool)).toBe(true);
    expect(log).toEqual([
      'event store schema: building index events_causation_idx on the log without blocking appends (CREATE INDEX CONCURRENTLY)',
      expect.stringMatching(/^event store schema: index events_causation_idx built in \d+ ms$/),
    ]);
    // And a start on the up-to-date log builds nothing.
    await ensureEventStoreSchema(db.pool, { log: (m) => log.push(m) });
    expect(log).toHaveLength(2);
  });

  it('an invalid index an interrupted build left behind is dropped and built again', async () => {
    const append = await openAppend();
    const builder = await db.pool.connect();
    try {
      const { rows } = await builder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const build = builder.query(CAUSATION_INDEX_SQL).then(
        () => 'built',
        (e: Error) => e.message,
      );
      await until('the build waiting for the open append', async () => (await concurrentBuilds()) === 1);
      await db.pool.query('SELECT pg_cancel_backend($1)', [rows[0]!.pid]);
      expect(await build).toMatch(/canceling statement/);
    } finally {
      builder.release();
      await append.release();
    }
    expect(await causationIndex(db.pool)).toBe(false);
    await ensureEventStoreSchema(db.pool);
    expect(await causationIndex(db.pool)).toBe(true);
  });

  it('two instances starting together: one builds, the other waits for it rather than queueing behind it, and both start', async () => {
    const append = await openAppend();
    const logs: [string[], string[]] = [[], []];
    let starting: Array<Promise<void>> = [];
    try {
      starting = [ensureEventStoreSchema(db.pool, { log: (m) => logs[0].push(m) })];
      await until('the first instance building', async () => (await concurrentBuilds()) === 1);
      starting.push(ensureEventStoreSchema(db.pool, { log: (m) => logs[1].push(m) }));
      await until('the second instance waiting', async () => logs[1].length === 1);
      expect(logs[1]).toEqual(['event store schema: another instance is building an index on the log; waiting for it']);
      expect(await concurrentBuilds()).toBe(1);
      expect(
        await within(
          2_000,
          store.appendToStream('while-both-start', [newEvent()], 'no_stream').then(() => 'appended'),
        ),
      ).toBe('appended');
    } finally {
      await append.release();
      await Promise.all(starting);
    }
    expect(await causationIndex(db.pool)).toBe(true);
    expect(logs[0]).toHaveLength(2);
    expect(logs[1]).toHaveLength(1);
  });
});

describe('event store schema on PGlite: an index a release adds to an existing log', () => {
  it('is built at the start (CREATE INDEX CONCURRENTLY works on the one connection)', async () => {
    const db = await createTestEmbeddedDatabase();
    try {
      const store = new PostgresEventStore(db.pool);
      await store.appendToStream('before-the-release', [newEvent()], 'no_stream');
      await db.pool.query('DROP INDEX events_causation_idx');
      const log: string[] = [];
      await ensureEventStoreSchema(db.pool, { log: (m) => log.push(m) });
      expect(await causationIndex(db.pool)).toBe(true);
      expect(log).toHaveLength(2);
      expect((await store.readEvent((await store.readStream('before-the-release'))[0]!.eventId))?.streamName).toBe('before-the-release');
    } finally {
      await db.close();
    }
  });
});
