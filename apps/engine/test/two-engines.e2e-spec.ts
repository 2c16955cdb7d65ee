import { createTestPostgresDatabase, requirePostgres } from '../../../test/support/postgres';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { harbourHoodie } from './support/test-engine';
import { bearer } from '../../../libs/platform/src/testing/test-auth';

/**
 * Invariants 1 and 2 across OS processes: two built engines on one PostgreSQL sell the
 * same hot drop at once. Each decides batches against its own cached state; the expected
 * revision makes the loser reload and re-decide, so nothing is oversold.
 */
describe('two engine processes on one PostgreSQL', () => {
  requirePostgres();
  let db: Awaited<ReturnType<typeof createTestPostgresDatabase>>;
  let engines: EngineProcess[] = [];

  beforeAll(async () => {
    db = await createTestPostgresDatabase('two_engines');
    const env = { EVENT_STORE: 'postgres', DATABASE_URL: db.url, RUN_SCHEDULER: 'true' };
    engines = [await startEngineProcess(env), await startEngineProcess(env)];
  });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.stop()));
    await db?.drop();
  });

  it('never oversells the cap nor a customer limit while both take orders concurrently', async () => {
    const cap = 120;
    const now = Date.now();
    const body = harbourHoodie({
      variants: [{ sku: 'HOT-1', size: 'M', colour: 'red', editionCap: cap }],
      window: { opensAt: new Date(now - 60_000).toISOString(), closesAt: new Date(now + 3_600_000).toISOString() },
      earlyAccess: undefined,
      perCustomerLimit: 2,
      minimumOrderQuantity: 1,
    });
    delete (body as Record<string, unknown>).earlyAccess;
    const created = await fetch(`${engines[0].url}/drops`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('ops') },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(201);
    const { dropId } = (await created.json()) as { dropId: string };
    expect((await fetch(`${engines[1].url}/drops/${dropId}/open`, { method: 'POST', headers: bearer('ops') })).status).toBe(200);

    // 400 requests from 100 customers (4 attempts each against a limit of 2), spread over both engines.
    const attempts = Array.from({ length: 400 }, (_, i) => ({ engine: engines[i % 2], customer: `c-${i % 100}`, key: `k-${i}` }));
    const results = await Promise.all(
      attempts.map(async ({ engine, customer, key }) => {
        const res = await fetch(`${engine.url}/drops/${dropId}/pre-orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key, ...bearer('customer', customer) },
          body: JSON.stringify({ customerId: customer, sku: 'HOT-1', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } }),
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown>, customer };
      }),
    );
    const accepted = results.filter((r) => r.status === 201);
    const statuses = new Set(results.map((r) => r.status));
    expect([...statuses].every((s) => s === 201 || s === 409)).toBe(true);
    expect(accepted).toHaveLength(cap);
    const perCustomer = new Map<string, number>();
    for (const r of accepted) perCustomer.set(r.customer, (perCustomer.get(r.customer) ?? 0) + 1);
    expect(Math.max(...perCustomer.values())).toBeLessThanOrEqual(2);

    // Both engines, and the stored events, agree.
    for (const engine of engines) {
      const view = (await (await fetch(`${engine.url}/drops/${dropId}`, { headers: bearer('ops') })).json()) as {
        netUnits: number;
        unitsSold: number;
      };
      expect(view.netUnits).toBe(cap);
    }
    const { rows } = await db.pool.query(`select count(*)::int as n from events where stream_name = $1 and type = 'PreOrderPlaced'`, [
      `drop-${dropId}`,
    ]);
    expect(rows[0].n).toBe(cap);
  });
});
