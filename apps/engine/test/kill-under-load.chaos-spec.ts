import { preOrderIdFor } from '@dropline/domain';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { Answer, chaosSize, openHotDrop, placeHot, sleep, tryFetch } from './support/chaos';
import { EngineProcess, freePort, startEngineProcess } from './support/engine-process';
import { bearer } from './support/test-auth';

/**
 * kill -9 under load: buyers hammer a hot drop while the engine OS process is SIGKILLed
 * several times and restarted on the same port. Afterwards every request that got no
 * answer is retried with its Idempotency-Key, and the log must show: every 201 stored
 * exactly once, nothing stored for a 4xx, every retry resolved to one outcome, no
 * oversell of the edition cap or of the per-customer limit, and the restarted engine's
 * view equal to a fresh fold of the stream.
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
    const requests = Array.from({ length: customers * 2 }, (_, i) => ({ customer: `c-${i % customers}`, key: `k-${i}`, answers: [] as Array<Answer | undefined> }));
    let next = 0;
    let answered = 0;
    // While the engine restarts, buyers wait for it rather than burn their requests on a closed port.
    let up: Promise<void> = Promise.resolve();
    const buyers = Array.from({ length: 16 }, async () => {
      while (next < requests.length) {
        await up;
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
        await engine!.stop('SIGKILL');
        let restarted!: () => void;
        up = new Promise((r) => (restarted = r));
        engine = await startEngineProcess(env, { port });
        restarted();
      }
    })();
    await Promise.all(buyers);
    await killer;

    // Retry every request that got no answer (or a 503) with the same key until it resolves.
    const unanswered = requests.filter((r) => { const a = r.answers[r.answers.length - 1]; return !a || a.status >= 500; });
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
    // eslint-disable-next-line no-console
    console.log(`[chaos] kill -9: ${kills} kills, ${requests.length} requests, ${answered} answered under load, ${unanswered.length} unanswered and retried, ${acknowledged} acknowledged (cap ${cap}), ${rejected} rejected, oversold 0`);
  }, 600_000);
});
