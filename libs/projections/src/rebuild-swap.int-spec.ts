import { dropStreamName } from '@dropline/domain';
import { PostgresEventStore } from '@dropline/event-store';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { DropReadModelsProjection } from './drops/drop-read-models.projection';
import { ProjectionRunner } from './projection-runner';
import { dropHistory, toNewFixtureEvent } from './testing/drop-history';
import { within } from '../../../test/support/timing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A rebuild ends by renaming its shadow copies into place under ACCESS EXCLUSIVE locks on the live
// tables. Asked for while an analyst's long read holds one of them, that lock request would queue
// every storefront read and live page of the table behind it until the read ends.
describeWithPostgres('a rebuild’s swap on PostgreSQL gives way to a long reader of a live table', () => {
  jest.setTimeout(60_000);
  let db: TestPostgresDatabase;
  let store: PostgresEventStore;
  afterEach(async () => {
    await store?.close();
    await db?.drop();
  });

  it('reads go on while the swap waits, which never asks for its locks while the reader runs; the rebuild stays running, and it swaps once the reader ends', async () => {
    db = await createTestPostgresDatabase('rebuild_swap', { poolSize: 12 });
    store = new PostgresEventStore(db.pool);
    const history = dropHistory('swap', 1, { orders: 20 }).map(toNewFixtureEvent);
    await store.appendToStream(dropStreamName('swap'), history, 'no_stream');
    const warnings: string[] = [];
    const runner = new ProjectionRunner({
      store,
      pool: db.pool,
      projection: new DropReadModelsProjection(),
      pageSize: 50,
      logger: { warn: (m) => warnings.push(m) },
    });
    // Readers see the log below PostgreSQL's cluster-wide safe horizon: another suite's open
    // transaction can hold one pass back. The summary's last_revision follows every event of the drop.
    for (const deadline = Date.now() + 30_000; ; await sleep(50)) {
      await runner.catchUp();
      const { rows } = await db.pool.query<{ last_revision: number }>('select last_revision from rm_drop_summary');
      if (rows[0]?.last_revision === history.length - 1) break;
      if (Date.now() > deadline) throw new Error(`not caught up: ${JSON.stringify(rows)}`);
    }
    const rowsBefore = (await db.pool.query('select * from rm_drop_summary order by drop_id')).rows;
    expect(rowsBefore).toHaveLength(1);

    const reader = await db.pool.connect();
    let stepping: Promise<void> | undefined;
    let watching: Promise<number> | undefined;
    let stop = false;
    try {
      await reader.query('BEGIN; SELECT count(*) FROM rm_drop_summary');
      // An analyst's read that has been running a while when the rebuild comes to its swap.
      await sleep(400);
      // Any lock request of this database left waiting, sampled every few ms: the swap asking for
      // its ACCESS EXCLUSIVE locks while the reader holds one would show for up to 200 ms a try.
      watching = (async () => {
        let waiting = 0;
        while (!stop) {
          const { rows } = await db.pool.query<{ n: number }>(
            `select count(*)::int as n from pg_locks where not granted and locktype = 'relation' and database = (select oid from pg_database where datname = current_database())`,
          );
          waiting += rows[0]!.n;
          await sleep(5);
        }
        return waiting;
      })();
      await ProjectionRunner.requestRebuild(db.pool, 'drops');
      stepping = (async () => {
        while (!stop) {
          await runner.step();
          await sleep(20);
        }
      })();
      for (let i = 0; i < 8; i++) {
        await sleep(150);
        const read = db.pool.query('select count(*)::int as n from rm_drop_summary').then((r) => r.rows[0].n as number);
        expect(await within(2_000, read)).toBe(1);
      }
      stop = true;
      await stepping;
      // It never asked for them: it saw the reader first, so the reads above never queued behind it.
      expect(await watching).toBe(0);
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      // The log names who holds it (the reader's session), never what it runs.
      const { rows } = await reader.query<{ pid: number }>('select pg_backend_pid() as pid');
      expect(warnings[0]).toMatch(
        new RegExp(
          `^projection drops rebuild: a running transaction holds one of its tables \\(pid ${rows[0]!.pid} \\(test-rebuild_swap, idle in transaction, transaction open \\d+ s\\)\\); ` +
            `the swap gave way \\(attempt 1\\), next try in \\d+ ms$`,
        ),
      );
      expect(await runner.rebuildProgress()).toMatchObject({ status: 'running', error: null });
      // What GET /admin/projections/drops shows meanwhile (the lease holder's runner).
      expect((await runner.lag()).rebuildSwapWaiting).toEqual({
        since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        attempts: warnings.length,
        heldBy: expect.stringContaining(`pid ${rows[0]!.pid} (test-rebuild_swap, idle in transaction`),
      });
    } finally {
      stop = true;
      await reader.query('COMMIT');
      reader.release();
      await stepping?.catch(() => undefined);
      await watching?.catch(() => undefined);
    }
    for (const deadline = Date.now() + 20_000; (await runner.rebuildProgress())?.status !== 'done'; await sleep(20)) {
      if (Date.now() > deadline) throw new Error(`not swapped: ${JSON.stringify(await runner.rebuildProgress())}`);
      await runner.step();
    }
    expect(await runner.rebuildProgress()).toMatchObject({ status: 'done', error: null });
    expect((await runner.lag()).rebuildSwapWaiting).toBeNull();
    expect((await db.pool.query('select * from rm_drop_summary order by drop_id')).rows).toEqual(rowsBefore);
    const leftovers = await db.pool.query(
      `select tablename from pg_tables where tablename like 'rm_%_rebuild' or tablename like 'rm_%_old'`,
    );
    expect(leftovers.rows).toEqual([]);
  });
});
