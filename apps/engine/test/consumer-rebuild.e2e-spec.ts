import { createTestPostgresDatabase, requirePostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { bearer } from '../../../libs/platform/src/testing/test-auth';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { eventually } from './support/eventually';
import { harbourHoodie } from './support/test-engine';

/**
 * docs/operations.md, "Rebuilding a consumer's tables", as an operator runs it: an engine on
 * PostgreSQL with its in-process consumers; stopped; the consumers' schemas dropped with their
 * checkpoints; started again: fulfillment and analytics hold exactly the rows they held before,
 * rebuilt from the log (a dispatched task included).
 */
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

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${engine!.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...bearer('ops'), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** Every row of the consumers' tables, in a stable order. */
  const snapshot = async () => {
    const tables = ['fulfillment.pre_orders', 'fulfillment.tasks', 'analytics.drops', 'analytics.pre_orders'];
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) rows[table] = (await db.pool.query(`select * from ${table} order by 1`)).rows;
    return rows;
  };

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
    const before = await snapshot();
    expect(before['analytics.pre_orders']).toHaveLength(3);

    // The procedure: stop, drop the consumers' schemas and checkpoints in one transaction, start.
    expect(await engine!.stop()).toBe(0);
    engine = undefined;
    await db.pool.query(`begin;
      drop schema fulfillment cascade;
      drop schema analytics cascade;
      delete from dropline_checkpoints where name in ('consumer:fulfillment', 'consumer:analytics');
      commit;`);
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
