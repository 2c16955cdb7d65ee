import { existsSync, readFileSync } from 'node:fs';
import { Pool as PgPool, type Pool } from 'pg';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../../test/support/postgres';
import { newEvent } from '../event-store.contract';
import { measureLag } from '../lag';
import { createPostgresPool, DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS, SERVER_MALLOC_WARMUP_BYTES } from './postgres.pool';
import { PostgresEventStore } from './postgres.event-store';

/** Minor page faults of a process so far (/proc/<pid>/stat, field 10). */
function minorFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

/** An append's one jsonb parameter of `n` pre-order rows, as the event store sends it. */
function rows(n: number): string {
  return JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      i,
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      t: 'PreOrderPlaced',
      v: 1,
      d: { sku: 'HOT-M', customerId: `c-${i}`, quantity: 1, unitPrice: 2500, preOrderId: `d.po.${i}` },
      m: { actor: 'test', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    })),
  );
}

/**
 * The page faults of the backend behind one new connection of `pool` while it takes 60 parameters
 * the size of a hot drop's appends (60 to 1,000 rows, 40 KB to 700 KB), in the order a busy
 * writer sends them. The server must run on this machine (its backend's /proc entry is read).
 */
async function faultsOfAppendLikeStatements(pool: Pool): Promise<number> {
  const client = await pool.connect();
  try {
    const { rows: backend } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = backend[0].pid;
    if (!existsSync(`/proc/${pid}/stat`))
      throw new Error(`the PostgreSQL backend ${pid} is not on this machine: this test reads its /proc entry`);
    const sizes = [128, 300, 1000, 60, 128, 700];
    const before = minorFaults(pid);
    for (let k = 0; k < 60; k++) {
      await client.query(
        'SELECT count(*) FROM jsonb_to_recordset($1::jsonb) AS e(i bigint, id uuid, t text, v integer, d jsonb, m jsonb)',
        [rows(sizes[k % sizes.length])],
      );
    }
    return minorFaults(pid) - before;
  } finally {
    client.release(true);
  }
}

describeWithPostgres('PostgreSQL pool: the malloc warm-up of new connections (createPostgresPool)', () => {
  let db: TestPostgresDatabase;
  beforeAll(async () => {
    db = await createTestPostgresDatabase('pool_warmup', { empty: true });
  });
  afterAll(async () => db?.drop());

  it('runs before the first query of a new connection and keeps its backend from faulting in large parameters again and again', async () => {
    const warm = createPostgresPool(db.url, { max: 1 });
    const cold = createPostgresPool(db.url, { max: 1, mallocWarmupBytes: 0 });
    try {
      const coldFaults = await faultsOfAppendLikeStatements(cold);
      const warmFaults = await faultsOfAppendLikeStatements(warm);
      // Measured on the CI machine: about 22,700 page faults without the warm-up, 1,600 with it.
      expect(warmFaults * 4).toBeLessThan(coldFaults);
    } finally {
      await Promise.all([warm.end(), cold.end()]);
    }
  });

  it('hands the connection out when the warm-up fails, with a warning', async () => {
    const warnings: string[] = [];
    // Over PostgreSQL's 1 GB limit for one value: repeat() refuses it.
    const pool = createPostgresPool(db.url, {
      max: 1,
      mallocWarmupBytes: 2 ** 30,
      logger: { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
    });
    try {
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
      expect(warnings).toEqual([expect.stringContaining('malloc warm-up of a new PostgreSQL connection failed')]);
    } finally {
      await pool.end();
    }
  });

  it('logs an idle connection lost to the server as the error alone, without the client pg-pool hangs on it, and carries on', async () => {
    const errors: Array<{ message: string; error: unknown }> = [];
    const pool = createPostgresPool(db.url, {
      max: 1,
      logger: { log: () => undefined, warn: () => undefined, error: (message, error) => errors.push({ message, error }) },
    });
    const admin = createPostgresPool(db.url, { max: 1, mallocWarmupBytes: 0 });
    try {
      const { rows: backend } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // The connection is idle in the pool now; the server ends it (what a restart or a failover does).
      await admin.query('SELECT pg_terminate_backend($1)', [backend[0].pid]);
      for (let i = 0; i < 100 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(errors).toEqual([{ message: 'idle PostgreSQL connection failed', error: expect.any(Error) }]);
      const error = errors[0].error as Error & { code?: string };
      expect(error.code).toBe('57P01'); // admin_shutdown
      expect(error).not.toHaveProperty('client');
      // The pool opens a new connection for the next query.
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await Promise.all([pool.end(), admin.end()]);
    }
  });

  it('takes 8 MiB by default, none on request, and refuses a size that is not a whole number of bytes', () => {
    expect(SERVER_MALLOC_WARMUP_BYTES).toBe(8 * 1024 * 1024);
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => createPostgresPool(db.url, { mallocWarmupBytes: bad })).toThrow(RangeError);
  });
});

describeWithPostgres(
  'PostgreSQL pool: a session that stops mid-transaction (createPostgresPool, idle_in_transaction_session_timeout)',
  () => {
    let db: TestPostgresDatabase;
    beforeAll(async () => {
      db = await createTestPostgresDatabase('pool_idle_tx');
    });
    afterAll(async () => db?.drop());

    const setting = async (pool: Pool) =>
      (await pool.query<{ value: string }>(`SELECT current_setting('idle_in_transaction_session_timeout') AS value`)).rows[0].value;

    it('is ended by the server after the timeout, and the log readers it held back see past it', async () => {
      // The "paused process": one connection that opens a writing transaction and then sends nothing.
      const paused = createPostgresPool(db.url, { max: 1, idleInTransactionTimeoutMillis: 700, mallocWarmupBytes: 0 });
      paused.on('error', () => undefined);
      const store = new PostgresEventStore(db.pool);
      const client = await paused.connect();
      client.on('error', () => undefined);
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_current_xact_id()'); // takes a transaction id, as any write does
        const before = (await store.readAll({ maxCount: 1_000 })).position;
        await store.appendToStream('pool-idle-1', [newEvent('Appended')], 'no_stream');

        // Below the paused transaction's id is the safe horizon: the event is committed but not readable yet.
        const held = await store.readAll({ fromPosition: before, maxCount: 1_000 });
        expect(held.events.map((e) => e.streamName)).not.toContain('pool-idle-1');

        const startedAt = Date.now();
        let seen = false;
        while (!seen && Date.now() - startedAt < 10_000) {
          await new Promise((r) => setTimeout(r, 50));
          seen = (await store.readAll({ fromPosition: before, maxCount: 1_000 })).events.some((e) => e.streamName === 'pool-idle-1');
        }
        expect(seen).toBe(true);
        expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
        // The paused client finds its transaction gone when it runs again: nothing it meant to commit is committed.
        await expect(client.query('COMMIT')).rejects.toThrow();
      } finally {
        client.release(true);
        await paused.end();
      }
    });

    it('shows a reader held behind an open transaction as lagging, its seconds growing, not as caught up (measureLag, pendingAfter)', async () => {
      const other = createPostgresPool(db.url, { max: 1, idleInTransactionTimeoutMillis: 0, mallocWarmupBytes: 0 });
      const store = new PostgresEventStore(db.pool);
      const filter = { streamPrefixes: ['lag-held-'] };
      const client = await other.connect();
      try {
        let position: string | undefined;
        for (
          let page = await store.readAll({ maxCount: 1_000 });
          ;
          page = await store.readAll({ fromPosition: position, maxCount: 1_000 })
        ) {
          position = page.position ?? position;
          if (page.isEnd) break;
        }
        expect(await measureLag(store, position, filter)).toEqual({ lagSeconds: 0, lagEvents: 0 });

        // Another client (a report, a psql session left in BEGIN) opens a writing transaction and keeps it.
        await client.query('BEGIN');
        await client.query('SELECT pg_current_xact_id()');
        await store.appendToStream('lag-held-1', [newEvent('Appended'), newEvent('Appended')], 'no_stream');
        const read = await store.readAll({ fromPosition: position, maxCount: 1_000, filter });
        expect({ events: read.events.length, isEnd: read.isEnd }).toEqual({ events: 0, isEnd: true });

        const first = await measureLag(store, position, filter);
        expect(first.lagEvents).toBe(2);
        await new Promise((r) => setTimeout(r, 1_100));
        const later = await measureLag(store, position, filter);
        expect(later.lagEvents).toBe(2);
        expect(later.lagSeconds).toBeGreaterThanOrEqual(1);
        expect(later.lagSeconds).toBeGreaterThan(first.lagSeconds);

        // The transaction ends: the events are readable, and the reader that reads them is caught up again.
        await client.query('ROLLBACK');
        const released = await store.readAll({ fromPosition: position, maxCount: 1_000, filter });
        expect(released.events.map((e) => e.streamName)).toEqual(['lag-held-1', 'lag-held-1']);
        expect(await store.pendingAfter(released.position, filter)).toBeUndefined();
      } finally {
        client.release();
        await other.end();
      }
    });

    it('sets the timeout on every connection, 10 s by default; 0 leaves the server setting; refuses a negative or fractional value', async () => {
      expect(DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS).toBe(10_000);
      const byDefault = createPostgresPool(db.url, { max: 1, mallocWarmupBytes: 0 });
      const off = createPostgresPool(db.url, { max: 1, mallocWarmupBytes: 0, idleInTransactionTimeoutMillis: 0 });
      const plain = new PgPool({ connectionString: db.url, max: 1 });
      try {
        expect(await setting(byDefault)).toBe('10s');
        expect(await setting(off)).toBe(await setting(plain));
      } finally {
        await Promise.all([byDefault.end(), off.end(), plain.end()]);
      }
      for (const bad of [-1, 1.5]) expect(() => createPostgresPool(db.url, { idleInTransactionTimeoutMillis: bad })).toThrow(RangeError);
    });
  },
);
