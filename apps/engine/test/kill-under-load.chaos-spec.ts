import { preOrderIdFor } from '@dropline/domain';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { Answer, chaosSize, openHotDrop, placeHot, sleep, tryFetch } from './support/chaos';
import { EngineProcess, freePort, startEngineProcess } from './support/engine-process';
import { bearer } from '../../../libs/platform/src/testing/test-auth';
import {
  consumerLedger,
  EMBEDDED_CONSUMERS,
  eventually,
  foldedEventCount,
  incrementalAndRebuilt,
  projectionEventsProcessed,
  relayedEventIds,
} from './support/read-model-check';

/**
 * kill -9 under load: buyers hammer a hot drop while the engine OS process is SIGKILLed
 * several times and restarted on the same port. Afterwards every request that got no
 * answer is retried with its Idempotency-Key, and the log must show: every 201 stored
 * exactly once, nothing stored for a 4xx, every retry resolved to one outcome, no
 * oversell of the edition cap or of the per-customer limit, and the restarted engine's
 * view equal to a fresh fold of the stream. Then, once the workers caught up: every read-model
 * table equals, row for row, a fresh rebuild from the log, and each embedded consumer
 * (fulfillment, analytics on the in-process transport) recorded every event it handles exactly
 * once and holds exactly one effect row per pre-order.
 */
describe('kill -9 under load (chaos)', () => {
  requirePostgres();
  const kills = chaosSize('KILLS', 3, 10);
  const customers = chaosSize('CUSTOMERS', 120, 600);
  const cap = Math.floor(customers * 0.8);
  const perCustomerLimit = 1;
  let db: TestPostgresDatabase;
  let engine: EngineProcess | undefined;
  let env: Record<string, string>;
  let port: number;

  beforeAll(async () => {
    db = await createTestPostgresDatabase('chaos_kill');
    port = await freePort();
    env = { EVENT_STORE: 'postgres', DATABASE_URL: db.url, LOG_LEVEL: 'error' };
    engine = await startEngineProcess(env, { port });
  }, 120_000);
  afterAll(async () => {
    await engine?.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  it('keeps every acknowledged pre-order, none rejected, one outcome per key, and never oversells', async () => {
    const url = engine!.url;
    const dropId = await openHotDrop(url, cap, perCustomerLimit);
    // Two attempts per customer with different keys: the limit of one makes half of them 409.
    const requests = Array.from({ length: customers * 2 }, (_, i) => ({
      customer: `c-${i % customers}`,
      key: `k-${i}`,
      answers: [] as Array<Answer | undefined>,
    }));
    let next = 0;
    let answered = 0;
    // While the engine restarts, buyers wait for it rather than burn their requests on a closed port.
    let up: Promise<void> = Promise.resolve();
    const buyers = Array.from({ length: 16 }, async () => {
      for (;;) {
        await up;
        // Checked after the wait: the other buyers may have taken the last requests meanwhile.
        if (next >= requests.length) break;
        const r = requests[next++];
        const a = await placeHot(url, dropId, r.customer, r.key, 5_000);
        r.answers.push(a);
        if (a) answered++;
      }
    });
    // Kill k lands when (k+1)/(kills+1) of the requests are through, so answered, in-flight and unanswered requests mix.
    const killer = (async () => {
      for (let k = 0; k < kills; k++) {
        while (next < ((k + 1) * requests.length) / (kills + 1)) await sleep(5);
        // Buyers wait from the kill on, rather than spend their requests on the closed port meanwhile.
        let restarted!: () => void;
        up = new Promise((r) => (restarted = r));
        await engine!.stop('SIGKILL');
        engine = await startEngineProcess(env, { port });
        restarted();
      }
    })();
    await Promise.all(buyers);
    await killer;

    // Retry every request that got no answer (or a 503) with the same key until it resolves.
    const unanswered = requests.filter((r) => {
      const a = r.answers[r.answers.length - 1];
      return !a || a.status >= 500;
    });
    for (const r of unanswered) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const a = await placeHot(url, dropId, r.customer, r.key);
        r.answers.push(a);
        if (a && a.status < 500) break;
        await sleep(200);
      }
    }

    const { rows } = await db.pool.query<{ id: string; customer: string; n: number; units: number }>(
      `select data->>'preOrderId' as id, data->>'customerId' as customer, count(*)::int as n, sum((data->>'quantity')::int)::int as units
         from events where stream_name = $1 and type = 'PreOrderPlaced' group by 1, 2`,
      [`drop-${dropId}`],
    );
    const stored = new Map(rows.map((r) => [r.id, r]));
    let acknowledged = 0;
    let rejected = 0;
    for (const r of requests) {
      const id = preOrderIdFor(dropId, r.customer, r.key);
      const answered = r.answers.filter((a): a is Answer => a !== undefined && a.status < 500);
      // One outcome per key: every answer the key ever got says the same thing.
      const outcomes = new Set(answered.map((a) => (a.status === 201 ? `201:${a.body.preOrderId}` : `${a.status}`)));
      expect({ key: r.key, outcomes: [...outcomes] }).toEqual({ key: r.key, outcomes: [expect.any(String)] });
      const [outcome] = [...outcomes];
      if (outcome.startsWith('201')) {
        acknowledged++;
        expect(outcome).toBe(`201:${id}`);
        expect(stored.get(id)?.n).toBe(1);
      } else {
        rejected++;
        expect(outcome).toBe('409');
        expect(stored.has(id)).toBe(false);
      }
    }
    // Nothing stored that nobody was told about, no oversell, no customer over the limit.
    expect(stored.size).toBe(acknowledged);
    expect(rows.reduce((s, r) => s + r.units, 0)).toBeLessThanOrEqual(cap);
    const perCustomer = new Map<string, number>();
    for (const r of rows) perCustomer.set(r.customer, (perCustomer.get(r.customer) ?? 0) + r.units);
    expect(Math.max(...perCustomer.values())).toBeLessThanOrEqual(perCustomerLimit);
    expect(acknowledged).toBe(cap);
    // The restarted engine's state is the fold of the stream.
    const view = await tryFetch(`${url}/drops/${dropId}`, { headers: bearer('ops') });
    expect(view?.body).toMatchObject({ unitsSold: acknowledged });

    // The workers the kills interrupted catch up: the projection's checkpoint reaches the folded
    // log, each consumer's ledger holds every event it handles.
    const folded = await foldedEventCount(db.pool);
    await eventually('projections and consumers to catch up', async () => {
      if ((await projectionEventsProcessed(db.pool)) !== folded) return false;
      for (const [schema, types] of Object.entries(EMBEDDED_CONSUMERS))
        if ((await consumerLedger(db.pool, schema)).length !== (await relayedEventIds(db.pool, types)).length) return false;
      return true;
    });
    expect(await engine!.stop('SIGTERM')).toBe(0);

    // Every consumer saw every event exactly once in effect: the ledger is exactly the log's ids
    // (a primary key, so no id twice), all applied, and one effect row per placed pre-order.
    for (const [schema, types] of Object.entries(EMBEDDED_CONSUMERS)) {
      const ids = await relayedEventIds(db.pool, types);
      expect(await consumerLedger(db.pool, schema)).toEqual(ids);
      expect((await db.pool.query(`select outcome, count(*)::int as n from ${schema}.processed_events group by 1`)).rows).toEqual([
        { outcome: 'applied', n: ids.length },
      ]);
      const effects = (
        await db.pool.query(`select pre_order_id, count(*)::int as n from ${schema}.pre_orders where drop_id = $1 group by 1 order by 1`, [
          dropId,
        ])
      ).rows;
      expect(effects.map((e) => e.pre_order_id)).toEqual([...stored.keys()].sort());
      expect(effects.every((e) => e.n === 1)).toBe(true);
    }

    // Read models equal a fresh rebuild from the log, row for row.
    const { incremental, rebuilt, eventsDone, status } = await incrementalAndRebuilt(db.pool);
    expect(incremental.rm_customer_pre_orders).toHaveLength(acknowledged);
    expect({ status, eventsDone }).toEqual({ status: 'done', eventsDone: folded });
    expect(rebuilt).toEqual(incremental);

    console.log(
      `[chaos] kill -9: read models (${folded} events, ${Object.keys(incremental).length} tables) equal a fresh rebuild; fulfillment and analytics applied each event exactly once`,
    );
    console.log(
      `[chaos] kill -9: ${kills} kills, ${requests.length} requests, ${answered} answered under load, ${unanswered.length} unanswered and retried, ${acknowledged} acknowledged (cap ${cap}), ${rejected} rejected, oversold 0`,
    );
  }, 600_000);
});
