import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { DropEvent, upcast } from '@dropline/domain';
import { PostgresEventStore, type RecordedEvent } from '@dropline/event-store';
import { createTestPostgresDatabase, describeWithPostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { DropReadModelsProjection, DROP_READ_MODEL_EVENT_TYPES, DROP_READ_MODEL_TABLES } from './drops/drop-read-models.projection';
import { ProjectionRunner, readRebuildProgress } from './projection-runner';
import { decidedDropHistory } from './testing/decided-history';
import { appendInterleaved, TimedEvent } from './testing/drop-history';
import { INVENTORY_FIGURES, referenceFold } from './testing/reference-fold';
import { openReadModels } from './typeorm/read-models.data-source';
import { testAuthEnv } from '../../platform/src/testing/test-auth';

// The read-model "Done when": SIGKILL of a separate projector process in the middle of a page,
// then a restart, loses and doubles nothing. The BUILT projector app runs as its own OS process
// (the way `npm run start:projector` runs it) with tiny pages, so there are hundreds of
// transactions and the kill lands inside one of them; we check that against pg_stat_activity.

const ROOT = path.resolve(__dirname, '../../..');
const MAIN = path.join(ROOT, 'dist/apps/projector/src/main.js');
const PAGE_SIZE = 20;
const REBUILD_PAGE_SIZE = 30;

function build(): void {
  execFileSync('npm', ['run', 'build', '-s'], { cwd: ROOT, stdio: 'pipe', timeout: 300_000 });
}

interface Projector {
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
}

function spawnProjector(databaseUrl: string): Projector {
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      // The projector checks the engine's tokens: a server store needs its JWT settings.
      ...testAuthEnv(),
      DATABASE_URL: databaseUrl,
      EVENT_STORE: 'postgres',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      PROJECTION_PAGE_SIZE: String(PAGE_SIZE),
      PROJECTION_REBUILD_PAGE_SIZE: String(REBUILD_PAGE_SIZE),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => out, exited };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  projector?: Projector,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (projector && projector.child.exitCode !== null)
      throw new Error(`projector exited (${projector.child.exitCode}) while waiting for ${what}:\n${projector.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${projector ? `:\n${projector.output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const FOLDED = new Set<string>(DROP_READ_MODEL_EVENT_TYPES);

// describeWithPostgres runs requirePostgres: skipped without DATABASE_URL locally, failing with CI=true.
describeWithPostgres('projector process killed mid-page (PostgreSQL, built app)', () => {
  let db: TestPostgresDatabase;
  let store: PostgresEventStore;
  const histories = new Map<string, TimedEvent[]>();
  const running: Projector[] = [];

  beforeAll(async () => {
    if (!existsSync(MAIN)) build();
    db = await createTestPostgresDatabase('projector_crash', { poolSize: 4 });
    await (await openReadModels(db.pool)).destroy();
    store = new PostgresEventStore(db.pool);
    // Drops that tip, ship, take returns and refund the uncovered; a few miss their MOQ. Every third
    // has access phases (members added and withdrawn, phases opened by ops), half of those close at sell-out.
    for (let i = 0; i < 90; i++) {
      const phased = i % 3 === 0 ? ({ access: 'phases', onSellOut: i % 2 === 0 ? 'close' : 'stay-open' } as const) : {};
      histories.set(`k${i}`, decidedDropHistory(`k${i}`, 1000 + i, { orders: 45, ...phased }));
    }
    for (let i = 0; i < 4; i++) histories.set(`m${i}`, decidedDropHistory(`m${i}`, 2000 + i, { orders: 6, minimumOrderQuantity: 40 }));
    await appendInterleaved(store, histories);
  }, 300_000);

  afterAll(async () => {
    for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
    await store?.close();
    await db?.drop();
  });

  /** Starts the built projector; rebuilds dist/ once if another engineer's `npm run build` removed it under us. */
  async function start(): Promise<Projector> {
    for (let attempt = 1; ; attempt++) {
      if (!existsSync(MAIN)) build();
      const p = spawnProjector(db.url);
      running.push(p);
      let timer: NodeJS.Timeout | undefined;
      const early = await Promise.race([p.exited.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), 1500)))]);
      clearTimeout(timer);
      if (!early) return p;
      if (attempt < 3 && /Cannot find module/.test(p.output())) {
        build();
        continue;
      }
      throw new Error(`projector exited at start (${p.child.exitCode}):\n${p.output()}`);
    }
  }

  async function checkpointEvents(name = 'drops'): Promise<number> {
    // Both copies' checkpoints are rows of dropline_checkpoints (created by the projector at start).
    if (!(await db.pool.query(`select to_regclass('dropline_checkpoints') as t`)).rows[0].t) return 0;
    const { rows } = await db.pool.query(`select events_processed from dropline_checkpoints where name = $1`, [`projection:${name}`]);
    return rows[0] ? Number(rows[0].events_processed) : 0;
  }

  /** A transaction of the projector's read-model pool is open right now (a page is being applied). */
  async function pageInFlight(): Promise<boolean> {
    const { rows } = await db.pool.query(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and application_name = 'dropline-read-models' and xact_start is not null and state <> 'idle'`,
    );
    return rows[0].n > 0;
  }

  /** SIGKILLs the projector the moment it is between `from` and `to` events and inside a page's transaction. */
  async function killMidPage(p: Projector, checkpoint: string, from: number, to: number): Promise<number> {
    const at = await waitFor(
      `${checkpoint} between ${from} and ${to} events`,
      async () => {
        const n = await checkpointEvents(checkpoint);
        if (n >= to)
          throw new Error(
            `${checkpoint} passed ${to} events before a kill landed (${n}); pages of PROJECTION_PAGE_SIZE=${PAGE_SIZE} expected: is dist/ older than the source? (npm run build)`,
          );
        return n >= from && (await pageInFlight()) ? n : undefined;
      },
      p,
    );
    p.child.kill('SIGKILL');
    await p.exited;
    expect(p.child.signalCode).toBe('SIGKILL');
    // The server notices the dead socket and rolls the interrupted page back.
    await waitFor('the killed backend to go', async () => !(await pageInFlight()));
    return at;
  }

  /**
   * The folded events of the log, read until at least `expected` have appeared: the log is read
   * below the cluster-wide safe horizon, so another test's open transaction elsewhere on the
   * server can hide the newest events for a moment.
   */
  async function foldedLog(expected = 0): Promise<RecordedEvent[]> {
    const all: RecordedEvent[] = [];
    let position: string | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const page = await store.readAll({
        fromPosition: position,
        maxCount: 2000,
        filter: { streamPrefixes: ['drop-'], eventTypes: [...DROP_READ_MODEL_EVENT_TYPES] },
      });
      all.push(...page.events);
      position = page.position;
      if (page.isEnd) {
        if (all.length >= expected || Date.now() > deadline) return all;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** The committed rows equal the reference fold of exactly the first `n` folded events of the log: nothing lost, nothing doubled. */
  async function expectRowsToMatchPrefix(log: RecordedEvent[], n: number): Promise<void> {
    const byDrop = new Map<string, DropEvent[]>();
    // The summary keeps the stream revision of the last event applied (revisions count unfolded events too).
    const lastRevision = new Map<string, number>();
    for (const e of log.slice(0, n)) {
      const dropId = e.streamName.slice('drop-'.length);
      lastRevision.set(dropId, e.revision);
      if (!byDrop.has(dropId)) byDrop.set(dropId, []);
      byDrop.get(dropId)!.push({ type: e.type, data: upcast(e.type, e.schemaVersion, e.data) } as DropEvent);
    }
    const summaries = new Map((await db.pool.query('select * from rm_drop_summary')).rows.map((r) => [r.drop_id as string, r]));
    const inventory = (await db.pool.query('select * from rm_inventory')).rows;
    const preOrders = (await db.pool.query('select pre_order_id, drop_id, customer_id, status from rm_customer_pre_orders')).rows;
    expect([...summaries.keys()].sort()).toEqual([...byDrop.keys()].sort());
    const actual: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    let placed = 0;
    for (const [dropId, events] of byDrop) {
      const ref = referenceFold(events);
      const s = summaries.get(dropId)!;
      actual[dropId] = {
        status: s.status,
        unitsSold: s.units_sold,
        revenue: Number(s.revenue),
        lastRevision: s.last_revision,
        access: [s.open_phase, s.members, s.on_sell_out, s.sold_out],
      };
      expected[dropId] = {
        status: ref.status,
        unitsSold: ref.unitsSold,
        revenue: ref.netRevenue,
        lastRevision: lastRevision.get(dropId),
        access: [ref.openPhase, ref.members, ref.onSellOut, ref.soldOut],
      };
      for (const [sku, figures] of ref.skus) {
        const row = inventory.find((r) => r.drop_id === dropId && r.sku === sku);
        actual[`${dropId}/${sku}`] = row ? Object.fromEntries(INVENTORY_FIGURES.map((f) => [f, row[f]])) : 'missing';
        expected[`${dropId}/${sku}`] = Object.fromEntries(INVENTORY_FIGURES.map((f) => [f, figures[f]]));
      }
      for (const [id, p] of ref.poSku) expected[id] = `${dropId}:${p.customer}:${p.status}`;
      placed += ref.poSku.size;
    }
    for (const p of preOrders) actual[p.pre_order_id] = `${p.drop_id}:${p.customer_id}:${p.status}`;
    expect(inventory).toHaveLength(Object.keys(expected).filter((k) => k.includes('/')).length);
    expect(preOrders).toHaveLength(placed);
    expect(actual).toEqual(expected);
  }

  it('SIGKILL mid-page (twice while catching up, once mid-rebuild), restart: the rows equal a reference fold and a fresh rebuild', async () => {
    const expectedTotal = [...histories.values()].flat().filter((h) => FOLDED.has(h.event.type)).length;
    const log = await foldedLog(expectedTotal);
    const total = log.length;
    expect(total).toBeGreaterThan(5000);
    expect(total).toBe([...histories.values()].flat().filter((h) => FOLDED.has(h.event.type)).length);

    // 1 and 2: killed while catching up; every crash leaves exactly a committed prefix of the log.
    for (const [from, to] of [
      [0.15, 0.45],
      [0.55, 0.85],
    ]) {
      const p = await start();
      const at = await killMidPage(p, 'drops', Math.floor(total * from), Math.floor(total * to));
      const committed = await checkpointEvents();
      expect(committed).toBeGreaterThanOrEqual(at);
      expect(committed).toBeLessThan(total);
      await expectRowsToMatchPrefix(log, committed);
    }

    // 3: killed in the middle of a rebuild (shadow tables half built); the next holder starts it again.
    let p = await start();
    await waitFor('catch-up', async () => (await checkpointEvents()) === total, p);
    await ProjectionRunner.requestRebuild(db.pool, 'drops');
    await killMidPage(p, 'drops#rebuild', Math.floor(total * 0.2), Math.floor(total * 0.8));
    expect((await readRebuildProgress(db.pool, 'drops'))?.status).toBe('running');
    await expectRowsToMatchPrefix(log, total);

    // Events that arrive while no projector runs are picked up after the restart too.
    const late = new Map([['late1', decidedDropHistory('late1', 3001, { orders: 30 })]]);
    await appendInterleaved(store, late);
    histories.set('late1', late.get('late1')!);
    const fullLog = await foldedLog(total + late.get('late1')!.filter((h) => FOLDED.has(h.event.type)).length);
    expect(fullLog.length).toBe(total + late.get('late1')!.filter((h) => FOLDED.has(h.event.type)).length);

    p = await start();
    await waitFor(
      'the rebuild to finish and the live copy to catch up',
      async () => {
        const progress = await readRebuildProgress(db.pool, 'drops');
        if (progress?.status === 'failed') throw new Error(`rebuild failed: ${progress.error}`);
        return progress?.status === 'done' && (await checkpointEvents()) === fullLog.length;
      },
      p,
    );
    p.child.kill('SIGTERM');
    await p.exited;

    expect(await checkpointEvents()).toBe(fullLog.length);
    // (a) an independent reference fold of the whole log.
    await expectRowsToMatchPrefix(fullLog, fullLog.length);
    // (b) a fresh rebuild in this process gives every table, row for row.
    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const t of DROP_READ_MODEL_TABLES) out[t] = (await db.pool.query(`select * from ${t} order by 1, 2`)).rows;
      return out;
    };
    const afterCrashes = await snapshot();
    const runner = new ProjectionRunner({ store, pool: db.pool, projection: new DropReadModelsProjection(), pageSize: 5000 });
    expect(await runner.rebuildNow()).toMatchObject({ status: 'done', error: null, eventsDone: fullLog.length });
    expect(await snapshot()).toEqual(afterCrashes);
    const leftovers = await db.pool.query(
      `select tablename from pg_tables where tablename like 'rm_%_rebuild' or tablename like 'rm_%_old'`,
    );
    expect(leftovers.rows).toEqual([]);
  }, 600_000);
});
