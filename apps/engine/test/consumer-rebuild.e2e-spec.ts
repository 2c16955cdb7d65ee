import { execFile } from 'node:child_process';
import path from 'node:path';
import { createTestPostgresDatabase, requirePostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { bearer } from '../../../libs/platform/src/testing/test-auth';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { eventually } from './support/eventually';
import { harbourHoodie } from './support/test-engine';

/**
 * docs/operations.md, "Rebuilding a consumer's tables", as an operator runs it: an engine on
 * PostgreSQL with its in-process consumers; `dropline rebuild-consumer` refused while it runs;
 * stopped; the consumers' schemas and checkpoints dropped by the CLI; started again: fulfillment
 * and analytics hold exactly the rows they held before, rebuilt from the log (a dispatched task
 * and the visit counters included).
 */
const ROOT = path.resolve(__dirname, '../../..');

describe("rebuilding a consumer's tables from the log (in-process consumers, PostgreSQL)", () => {
  requirePostgres();
  let db: TestPostgresDatabase;
  let engine: EngineProcess | undefined;
  const env = () => ({ EVENT_STORE: 'postgres', DATABASE_URL: db.url });

  beforeAll(async () => {
    db = await createTestPostgresDatabase('consumer_rebuild');
    engine = await startEngineProcess(env());
  });
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${engine!.url}${route}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...bearer('ops'), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** Every row of the consumers' tables, in a stable order. */
  const snapshot = async () => {
    const tables = [
      'fulfillment.pre_orders',
      'fulfillment.tasks',
      'analytics.drops',
      'analytics.pre_orders',
      'analytics.visits',
      'analytics.visitors',
    ];
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) rows[table] = (await db.pool.query(`select * from ${table} order by 1, 2`)).rows;
    return rows;
  };

  /** `dropline rebuild-consumer <consumer> --yes`, the built CLI as an operator runs it, against this database. */
  const rebuild = (consumer: string) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'dist/apps/cli/src/main.js'), 'rebuild-consumer', consumer, '--yes'],
        { env: { PATH: process.env.PATH ?? '', EVENT_STORE: 'postgres', DATABASE_URL: db.url } },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });

  it('gives the same rows after the schemas are dropped with their checkpoints and the engine starts again', async () => {
    const now = Date.now();
    const definition = harbourHoodie({
      window: { opensAt: new Date(now - 60_000).toISOString(), closesAt: new Date(now + 3_600_000).toISOString() },
      minimumOrderQuantity: 1,
    });
    delete (definition as Record<string, unknown>).earlyAccess;
    const { dropId } = (await call('POST', '/drops', definition)).body as { dropId: string };
    expect((await call('POST', `/drops/${dropId}/open`)).status).toBe(200);
    const placed: string[] = [];
    for (const [i, method] of ['ship', 'ship', 'pickup'].entries()) {
      const fulfillment = method === 'ship' ? { method } : { method, locationId: 'popup-harbourside' };
      const res = await call(
        'POST',
        `/drops/${dropId}/pre-orders`,
        { customerId: `rb-${i}`, sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment },
        { 'idempotency-key': `rb-${i}`, ...bearer('customer', `rb-${i}`) },
      );
      expect(res.status).toBe(201);
      placed.push(res.body.preOrderId as string);
    }
    // Visits are the one counter the analytics consumer adds up (visits + n): a rebuild must not double them.
    const visits = await call(
      'POST',
      `/drops/${dropId}/visits`,
      {
        visits: [
          { visitorId: 'rb-0', channel: 'web', at: new Date().toISOString() },
          { visitorId: 'rb-9', channel: 'web', at: new Date().toISOString() },
        ],
      },
      bearer('service', 'storefront'),
    );
    expect(visits.status).toBe(202);
    expect((await call('POST', `/drops/${dropId}/close`)).status).toBe(200);
    const runId = `${dropId}.run.1`;
    expect((await call('POST', `/production-runs/${runId}/start`)).status).toBe(200);
    const completed = await call('POST', `/production-runs/${runId}/complete`, {
      producedBySku: { 'HH-M-NAVY': 3 },
      rejectedBySku: { 'HH-M-NAVY': 0 },
    });
    expect(completed.status).toBe(200);
    const tasks = async () => (await db.pool.query(`select status from fulfillment.tasks where drop_id = $1`, [dropId])).rows;
    await eventually(tasks, (rows) => rows.length === 3, 30_000);
    expect((await call('POST', `/pre-orders/${placed[0]}/dispatch`, { carrier: 'dpd', trackingNumber: 'DPD-RB' })).status).toBe(200);
    await eventually(tasks, (rows) => rows.some((r) => r.status !== 'open'), 30_000);
    // Analytics reads the log on its own: it has the visits and the three pre-orders before the snapshot.
    await eventually(
      async () =>
        (await db.pool.query(`select (select count(*) from analytics.visitors) + (select count(*) from analytics.pre_orders) as n`)).rows[0]
          .n,
      (n) => Number(n) === 5,
      30_000,
    );
    const before = await snapshot();
    expect(before['analytics.pre_orders']).toHaveLength(3);
    expect(before['analytics.visitors']).toHaveLength(2);

    // The procedure, with the CLI: refused while the engine runs the consumer (it holds its lease).
    const running = await rebuild('fulfillment');
    expect(running).toMatchObject({ code: 1, stderr: expect.stringContaining('the lease consumer:fulfillment is held') });
    expect(await snapshot()).toEqual(before);
    expect(await engine!.stop()).toBe(0);
    engine = undefined;
    for (const consumer of ['fulfillment', 'analytics']) expect(await rebuild(consumer)).toMatchObject({ code: 0 });
    expect((await db.pool.query(`select count(*)::int as n from dropline_checkpoints where name like 'consumer:%'`)).rows[0].n).toBe(0);
    engine = await startEngineProcess(env());
    await eventually(
      async () =>
        (await db.pool.query(`select count(*)::int as n from fulfillment.tasks where status <> 'open'`).catch(() => ({ rows: [{ n: 0 }] })))
          .rows[0].n as number,
      (n) => n === 1,
      30_000,
    );
    await eventually(
      async () => JSON.stringify(await snapshot().catch(() => ({}))),
      (rebuilt) => rebuilt === JSON.stringify(before),
      30_000,
    );
  });
});
