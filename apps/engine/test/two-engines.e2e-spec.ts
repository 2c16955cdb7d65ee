import { PostgresEventStore } from '@dropline/event-store';
import { dropEventsCodec, TableDeadLetterSink } from '@dropline/messaging';
import { createTestPostgresDatabase, requirePostgres } from '../../../test/support/postgres';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { harbourHoodie } from './support/test-engine';
import { bearer } from '../../../libs/platform/src/testing/test-auth';

/**
 * Invariants 1 and 2 across OS processes: two built engines on one PostgreSQL sell the
 * same hot drop at once. Each decides batches against its own cached state; the expected
 * revision makes the loser reload and re-decide, so nothing is oversold.
 */
/** Schedules a drop whose window is open now (MOQ 1, no early access) on one engine and opens it on another; its id. */
async function openDrop(scheduler: EngineProcess, opener: EngineProcess, overrides: Record<string, unknown>): Promise<string> {
  const now = Date.now();
  const body = harbourHoodie({
    window: { opensAt: new Date(now - 60_000).toISOString(), closesAt: new Date(now + 3_600_000).toISOString() },
    minimumOrderQuantity: 1,
    ...overrides,
  });
  delete (body as Record<string, unknown>).earlyAccess;
  const created = await fetch(`${scheduler.url}/drops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer('ops') },
    body: JSON.stringify(body),
  });
  expect(created.status).toBe(201);
  const { dropId } = (await created.json()) as { dropId: string };
  expect((await fetch(`${opener.url}/drops/${dropId}/open`, { method: 'POST', headers: bearer('ops') })).status).toBe(200);
  return dropId;
}

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
    const dropId = await openDrop(engines[0], engines[1], {
      variants: [{ sku: 'HOT-1', size: 'M', colour: 'red', editionCap: cap }],
      perCustomerLimit: 2,
    });

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

  it('applies a dead letter once when both engines redrive it at the same time', async () => {
    const dropId = await openDrop(engines[0], engines[0], {});
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${engines[i % 2].url}/drops/${dropId}/pre-orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `dl-${i}`, ...bearer('customer', `dl-${i}`) },
        body: JSON.stringify({ customerId: `dl-${i}`, sku: 'HH-M-NAVY', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } }),
      });
      expect(res.status).toBe(201);
    }
    const placed = (await new PostgresEventStore(db.pool).readStream(`drop-${dropId}`)).filter((e) => e.type === 'PreOrderPlaced');
    const ceIds = placed.map((e) => e.eventId);
    const applied = async () =>
      (await db.pool.query(`select count(*)::int as n from fulfillment.pre_orders where drop_id = $1`, [dropId])).rows[0].n as number;
    const deadline = Date.now() + 30_000;
    while ((await applied()) < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await applied()).toBe(6);

    // As if fulfillment had refused them: their rows gone, their ce_ids recorded as dead-lettered, six dead letters.
    await db.pool.query(`delete from fulfillment.pre_orders where drop_id = $1`, [dropId]);
    await db.pool.query(`update fulfillment.processed_events set outcome = 'dead-lettered' where ce_id = any($1)`, [ceIds]);
    const codec = dropEventsCodec('/dropline/two-engines');
    const sink = new TableDeadLetterSink(db.pool, 'fulfillment');
    for (const event of placed)
      await sink.send({ consumer: 'fulfillment', reason: 'rejected:TEST.REFUSED', detail: 'refused', message: codec.encode(event) });
    const { rows } = await db.pool.query(`select id::text as id from fulfillment.dead_letters where ce_id = any($1)`, [ceIds]);
    const ids = rows.map((r) => r.id as string);
    expect(ids).toHaveLength(6);

    // Two redrives on each engine at once, each of every id.
    const answers = await Promise.all(
      [0, 1, 0, 1].map(async (e) => {
        const res = await fetch(`${engines[e].url}/messaging/dead-letters/fulfillment/redrive`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...bearer('ops') },
          body: JSON.stringify({ ids }),
        });
        expect(res.status).toBe(200);
        return ((await res.json()) as { results: Array<{ id: string; outcome: string }> }).results;
      }),
    );
    for (const id of ids) {
      const outcomes = answers.map((results) => results.find((r) => r.id === id)!.outcome).sort();
      expect({ id, outcomes }).toEqual({ id, outcomes: ['already-redriven', 'already-redriven', 'already-redriven', 'applied'] });
    }
    expect(await applied()).toBe(6);
    const recorded = await db.pool.query(
      `select outcome, count(*)::int as n from fulfillment.processed_events where ce_id = any($1) group by 1`,
      [ceIds],
    );
    expect(recorded.rows).toEqual([{ outcome: 'applied', n: 6 }]);
  });
});
