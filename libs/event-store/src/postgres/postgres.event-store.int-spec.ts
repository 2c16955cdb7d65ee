import { createTestPostgresDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { describeEventStoreContract, newEvent } from '../event-store.contract';
import { DuplicateEventIdError } from '../duplicate-event-id.error';
import { StoreUnavailableError, WrongExpectedRevisionError } from '../event-store.port';
import { createPostgresPool } from './postgres.pool';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ensureEventStoreSchema, EVENT_STORE_SCHEMA_SQL_PATH, migrateOnce, warnOfLockWaits } from './postgres.schema';
import { FILTERED_SCAN_ROWS, filteredLogPageQuery, PostgresEventStore } from './postgres.event-store';
import { parseLogPosition } from './postgres.position';
import { measureLag } from '../lag';
import { within } from '../../../../test/support/timing';

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

    /** Waits until the event at `last` is below the safe horizon (writers of other test files on the cluster can hold it back a moment). */
    async function untilBelowHorizon(after: string, last: string): Promise<void> {
      for (let tries = 0; tries < 400; tries++) {
        const read = await store.readAll({ fromPosition: after, maxCount: 2000 });
        if (read.events.some((e) => e.position === last)) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`${last} stayed above the horizon`);
    }

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

    it('a start that finds the log at its schema runs no DDL: no lock asked of events, even while an import holds it', async () => {
      const fresh = await createTestPostgresDatabase('schema_current', { poolSize: 4 });
      const holder = await fresh.pool.connect();
      try {
        await ensureEventStoreSchema(fresh.pool);
        // An import into the configured store: one transaction, appending, for as long as it runs.
        await holder.query('BEGIN; LOCK TABLE events IN ROW EXCLUSIVE MODE');
        const waits: number[] = [];
        await ensureEventStoreSchema(fresh.pool, { retryForMs: 1_000, onLockWait: (n) => void waits.push(n) });
        expect(waits).toEqual([]);
        // A release whose schema.sql differs runs it, giving way meanwhile, and records its digest.
        await fresh.pool.query(`UPDATE dropline_schema SET digest = 'an earlier release' WHERE name = 'event-store'`);
        const upgrading = ensureEventStoreSchema(fresh.pool, { onLockWait: (n) => void waits.push(n) });
        for (const deadline = Date.now() + 10_000; waits.length === 0; await new Promise((r) => setTimeout(r, 20))) {
          if (Date.now() > deadline) throw new Error('the upgrade never gave way');
        }
        await holder.query('COMMIT');
        await upgrading;
        const digest = createHash('sha256').update(readFileSync(EVENT_STORE_SCHEMA_SQL_PATH, 'utf8')).digest('hex');
        expect((await fresh.pool.query(`SELECT digest FROM dropline_schema WHERE name = 'event-store'`)).rows).toEqual([{ digest }]);
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        holder.release();
        await fresh.drop();
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

    it('an instance starting while an append is open gives way: appends never queue behind its schema DDL', async () => {
      // CREATE INDEX IF NOT EXISTS takes a SHARE lock on events even when the index is there; a
      // request that waits for it (behind an open append, e.g. an import) queues every later append.
      const holder = await db.pool.connect();
      const waits: string[] = [];
      let starting: Promise<void> | undefined;
      try {
        await holder.query('BEGIN; LOCK TABLE events IN ROW EXCLUSIVE MODE');
        const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        starting = ensureEventStoreSchema(
          db.pool,
          warnOfLockWaits('event store schema', (m) => waits.push(m), { pool: db.pool, tables: ['events', 'streams'] }),
        );
        for (let i = 0; i < 8; i++) {
          await new Promise((resolve) => setTimeout(resolve, 150));
          const append = store.appendToStream(`schema-start-${i}-${Date.now()}`, [newEvent()], 'no_stream');
          expect(
            await within(
              2_000,
              append.then(() => 'appended'),
            ),
          ).toBe('appended');
        }
        // Each give-way names who holds the table (the holder's session, and any append of this
        // test in flight at that moment), never what it runs.
        expect(waits[0]).toMatch(
          /^event store schema: a running transaction holds a lock it needs \(pid \d+ \(.+\)\) \(attempt 1\); giving way, next try in \d+ ms$/,
        );
        expect(waits[0]).toContain(`pid ${holderPid} (test-specifics, idle in transaction, transaction open `);
      } finally {
        await holder.query('COMMIT');
        holder.release();
        await starting;
      }
    });

    it('migrateOnce gives way to a long reader: ALTER TABLE never queues the table behind it, and runs once the reader ends', async () => {
      await db.pool.query('CREATE TABLE IF NOT EXISTS ddl_give_way (id int)');
      const reader = await db.pool.connect();
      let migrating: Promise<void> | undefined;
      try {
        await reader.query('BEGIN; SELECT count(*) FROM ddl_give_way');
        migrating = migrateOnce(db.pool, async (tx) => {
          await tx.query('ALTER TABLE ddl_give_way ADD COLUMN IF NOT EXISTS note text');
        });
        for (let i = 0; i < 6; i++) {
          await new Promise((resolve) => setTimeout(resolve, 150));
          expect(
            await within(
              2_000,
              db.pool.query('INSERT INTO ddl_give_way (id) VALUES ($1)', [i]).then(() => 'inserted'),
            ),
          ).toBe('inserted');
        }
      } finally {
        await reader.query('COMMIT');
        reader.release();
        await migrating;
      }
      const columns = await db.pool.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'ddl_give_way' ORDER BY 1`,
      );
      expect(columns.rows.map((r: { column_name: string }) => r.column_name)).toEqual(['id', 'note']);
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
        // A filtered read keeps to the same horizon.
        const heldFiltered = await store.readAll({ fromPosition: before, maxCount: 100, filter: { streamPrefixes: ['horizon-'] } });
        expect(heldFiltered).toEqual({ events: [], position: held.position, isEnd: true });
        await blocker.query('ROLLBACK');
        // Writers elsewhere on the cluster (other test files) may hold the horizon a moment longer.
        let released = await store.readAll({ fromPosition: before, maxCount: 100 });
        for (let tries = 0; released.events.length === 0 && tries < 200; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
          released = await store.readAll({ fromPosition: before, maxCount: 100 });
        }
        expect(released.events.map((e) => e.streamName)).toEqual(['horizon-1']);
        const releasedFiltered = await store.readAll({ fromPosition: before, maxCount: 100, filter: { streamPrefixes: ['horizon-1'] } });
        expect(releasedFiltered.events.map((e) => e.streamName)).toEqual(['horizon-1']);
      } finally {
        blocker.release();
      }
    });

    it('scans no further than a filtered page needs, however far behind the reader is (the plan after ANALYZE)', async () => {
      // 20,000 events of one drop, nearly all of the filter's types: with the filter inside the
      // keyset scan, the planner read every event after the position (a bitmap scan and a sort)
      // for each 200-event page of a reader that far behind.
      const { position: start } = await store.appendToStream('farbehind-0', [newEvent('DropOpened')], 'any');
      let previous = start;
      let last = start;
      for (let batch = 0; batch < 20; batch++) {
        const events = Array.from({ length: 1000 }, (_, i) => newEvent(i % 97 === 0 ? 'Visit' : 'PreOrderPlaced', { i: batch * 1000 + i }));
        previous = last;
        last = (await store.appendToStream('farbehind-1', events, 'any')).position;
      }
      await untilBelowHorizon(previous, last);
      await db.pool.query('ANALYZE events');
      const filter = { streamPrefixes: ['farbehind-'], eventTypes: ['PreOrderPlaced', 'DropOpened'] };
      const { text, values } = filteredLogPageQuery(parseLogPosition(start), 200, FILTERED_SCAN_ROWS, filter);
      const [{ 'QUERY PLAN': plan }] = (await db.pool.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values)).rows;
      const nodes: Array<Record<string, unknown>> = [];
      const walk = (node: Record<string, unknown>) => {
        nodes.push(node);
        for (const child of (node['Plans'] as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
      };
      walk(plan[0]['Plan']);
      const types = nodes.map((n) => n['Node Type']);
      expect(types).not.toContain('Bitmap Heap Scan');
      expect(types).not.toContain('Sort');
      const scans = nodes.filter((n) => n['Node Type'] === 'Index Scan' && n['Index Name'] === 'events_log_idx');
      expect(scans).toHaveLength(1);
      // 201 matches, plus the few non-matching events among them.
      expect(scans[0]['Actual Rows']).toBeLessThan(210);

      const page = await store.readAll({ fromPosition: start, maxCount: 200, filter });
      expect(page.events).toHaveLength(200);
      expect(page.events.every((e) => e.type === 'PreOrderPlaced')).toBe(true);
      expect(page.events.map((e) => e.data['i'])).toEqual(
        Array.from({ length: 203 }, (_, i) => i)
          .filter((i) => i % 97 !== 0)
          .slice(0, 200),
      );
      expect(page.position).toBe(page.events.at(-1)!.position);
      expect(page.isEnd).toBe(false);
    });

    it('passes non-matching events a bounded stretch at a time', async () => {
      const narrow = new PostgresEventStore(db.pool, { filteredScanRows: 5 });
      const { position: start } = await store.appendToStream('stretch-0', [newEvent()], 'any');
      const { position: other } = await store.appendToStream(
        'stretch-other',
        Array.from({ length: 12 }, () => newEvent()),
        'any',
      );
      const { position: last } = await store.appendToStream('stretch-mine', [newEvent('Wanted')], 'any');
      await untilBelowHorizon(other, last);
      const filter = { streamPrefixes: ['stretch-mine'] };
      const reads = [];
      let position: string | undefined = start;
      for (let tries = 0; tries < 10; tries++) {
        const read = await narrow.readAll({ fromPosition: position, maxCount: 2, filter });
        reads.push(read);
        position = read.position;
        if (read.events.length > 0) break;
      }
      // Five events a read (the larger of maxCount 2 and filteredScanRows 5): 5 + 5 + the last 2 and the match.
      expect(reads.map((r) => [r.events.length, r.isEnd])).toEqual([
        [0, false],
        [0, false],
        [1, true],
      ]);
      expect(reads.map((r) => r.position)).toEqual([...new Set(reads.map((r) => r.position))]);
      expect(reads[2].events[0].streamName).toBe('stretch-mine');
      expect(reads[2].position).toBe(reads[2].events[0].position);
      // A lag gauge reads on past the stretch too: the reader at `start` has one event to handle.
      expect((await measureLag(narrow, start, filter)).lagEvents).toBe(1);
      expect((await measureLag(narrow, reads[2].position, filter)).lagEvents).toBe(0);
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
