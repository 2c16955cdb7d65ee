import { createTestPostgresDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { describeEventStoreContract, newEvent } from '../event-store.contract';
import { DuplicateEventIdError } from '../duplicate-event-id.error';
import { StoreUnavailableError, WrongExpectedRevisionError } from '../event-store.port';
import { createPostgresPool } from './postgres.pool';
import { ensureEventStoreSchema } from './postgres.schema';
import { PostgresEventStore } from './postgres.event-store';

describeWithPostgres('PostgreSQL server', () => {
  jest.setTimeout(30_000);
  describeEventStoreContract('PostgreSQL adapter on a PostgreSQL server', async () => {
    const db = await createTestPostgresDatabase('contract');
    const store = new PostgresEventStore(db.pool);
    return {
      store,
      async dispose() {
        await store.close();
        await db.drop();
      },
    };
  });

  describe('PostgreSQL specifics', () => {
    let db: Awaited<ReturnType<typeof createTestPostgresDatabase>>;
    let store: PostgresEventStore;
    beforeAll(async () => {
      db = await createTestPostgresDatabase('specifics', { poolSize: 12 });
      store = new PostgresEventStore(db.pool);
    }, 30_000);
    afterAll(async () => {
      await store?.close();
      await db?.drop();
    });

    it('answers readCausedBy and readEvent from indexes, never a scan of the events table', async () => {
      const client = await db.pool.connect();
      try {
        // With sequential scans priced out, the plan shows which index (if any) can serve the query.
        await client.query('BEGIN; SET LOCAL enable_seqscan = off');
        const plan = async (sql: string, values: unknown[]) =>
          (await client.query(`EXPLAIN ${sql}`, values)).rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n');
        const caused = await plan(
          `SELECT event_id FROM events WHERE metadata->>'causationId' = $1 AND (transaction_id, global_position) > ($2::xid8, $3::bigint)
           ORDER BY transaction_id, global_position LIMIT $4`,
          ['c', '0', '0', 10],
        );
        expect(caused).toContain('events_causation_idx');
        expect(caused).not.toMatch(/Seq Scan|Sort/);
        expect(await plan('SELECT event_id FROM events WHERE event_id = $1', ['00000000-0000-4000-8000-000000000000'])).toContain(
          'events_event_id_key',
        );
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    });

    it('ensureEventStoreSchema is idempotent under concurrent first boot', async () => {
      const fresh = await createTestPostgresDatabase('schema');
      try {
        await fresh.pool.query('DROP TABLE events; DROP TABLE streams');
        await Promise.all(Array.from({ length: 6 }, () => ensureEventStoreSchema(fresh.pool)));
        const tables = await fresh.pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('events', 'streams')`);
        expect(tables.rows[0].n).toBe(2);
      } finally {
        await fresh.drop();
      }
    });

    it('rejects the same event appended twice with DuplicateEventIdError and writes nothing', async () => {
      const event = newEvent('Once');
      await store.appendToStream('dup-1', [event], 'any');
      const error = await store.appendToStream('dup-2', [newEvent(), event], 'any').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect(error).toMatchObject({ eventId: event.eventId, code: 'STORE.DUPLICATE_EVENT_ID' });
      expect(await store.readStream('dup-2')).toEqual([]);
    });

    it('gives the losers of a race on separate connections the actual revision', async () => {
      await store.appendToStream('race-1', [newEvent()], 'no_stream');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => store.appendToStream('race-1', [newEvent(), newEvent()], 0)),
      );
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(9);
      for (const r of rejected) expect(r.reason).toEqual(expect.objectContaining({ actual: 2 }));
      expect(rejected[0].reason).toBeInstanceOf(WrongExpectedRevisionError);
    });

    it('does not return events of a transaction that is still open, nor anything after them', async () => {
      const { position: before } = await store.appendToStream('horizon-0', [newEvent()], 'any');
      const blocker = await db.pool.connect();
      try {
        // An open transaction that has written (so it has an xid) holds the safe horizon back.
        await blocker.query('BEGIN');
        await blocker.query(`INSERT INTO streams (stream_name, revision) VALUES ('horizon-held', 0)`);
        await store.appendToStream('horizon-1', [newEvent()], 'no_stream');
        const held = await store.readAll({ fromPosition: before, maxCount: 100 });
        expect(held.events).toEqual([]);
        expect(held.isEnd).toBe(true);
        await blocker.query('ROLLBACK');
        // Writers elsewhere on the cluster (other test files) may hold the horizon a moment longer.
        let released = await store.readAll({ fromPosition: before, maxCount: 100 });
        for (let tries = 0; released.events.length === 0 && tries < 200; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          released = await store.readAll({ fromPosition: before, maxCount: 100 });
        }
        expect(released.events.map((e) => e.streamName)).toEqual(['horizon-1']);
      } finally {
        blocker.release();
      }
    });

    it('maps an unreachable server to StoreUnavailableError', async () => {
      const pool = createPostgresPool('postgres://postgres@127.0.0.1:1/none', { connectionTimeoutMillis: 1000, logger: silent });
      const unreachable = new PostgresEventStore(pool);
      try {
        await expect(unreachable.appendToStream('x-1', [newEvent()], 'any')).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(unreachable.readAll()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(unreachable.readStream('x-1')).rejects.toBeInstanceOf(StoreUnavailableError);
      } finally {
        await pool.end();
      }
    });
  });
});

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };
