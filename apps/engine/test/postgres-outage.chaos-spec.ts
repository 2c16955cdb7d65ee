import { preOrderIdFor } from '@dropline/domain';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { Answer, chaosSize, openHotDrop, placeHot, sleep, tryFetch } from './support/chaos';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { TcpProxy } from './support/tcp-proxy';

/**
 * PostgreSQL goes away under load. The engine process reaches its own database through a
 * TCP proxy the test cuts (open connections die, new ones are black-holed), never by
 * touching the shared server. While it is down every request answers 503
 * STORE.UNAVAILABLE within the connect timeout; once it is back the engine reconnects by
 * itself; every pre-order that got a 201 is stored, and every unanswered or 503'd one
 * resolves to exactly one pre-order when retried with its Idempotency-Key.
 */
describe('PostgreSQL outage under load (chaos)', () => {
  const serverUrl = requirePostgres();
  const CONNECT_TIMEOUT_MS = 1000;
  // Slack above the connect timeout for a request that queued behind another's connect attempt and for HTTP itself.
  const ANSWER_BOUND_MS = 2 * CONNECT_TIMEOUT_MS + 1000;
  const outages = chaosSize('OUTAGES', 1, 3);
  const outageMs = chaosSize('OUTAGE_MS', 3000, 8000);
  let db: TestPostgresDatabase;
  let proxy: TcpProxy;
  let engine: EngineProcess;

  beforeAll(async () => {
    db = await createTestPostgresDatabase('chaos_pg_outage');
    const target = new URL(serverUrl!);
    proxy = await new TcpProxy(target.hostname, Number(target.port || 5432)).start();
    engine = await startEngineProcess({
      EVENT_STORE: 'postgres',
      DATABASE_URL: proxy.urlFor(db.url),
      STORE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      LOG_LEVEL: 'error',
    });
  }, 120_000);
  afterAll(async () => {
    await engine?.stop('SIGKILL');
    await proxy?.close();
    await db?.drop();
  }, 60_000);

  it('answers 503 STORE.UNAVAILABLE fast while down, reconnects by itself, and loses nothing acknowledged', async () => {
    const dropId = await openHotDrop(engine.url, 1_000_000, 5);
    type Attempt = { customer: string; key: string; sentAt: number; answer: Answer | undefined; duringOutage: boolean };
    const attempts: Attempt[] = [];
    let outage: { from: number; to: number } | undefined;
    const outageWindows: Array<{ from: number; to: number }> = [];
    let stop = false;
    let n = 0;

    // 6 buyers place pre-orders back to back for the whole run.
    const buyers = Array.from({ length: 6 }, async () => {
      while (!stop) {
        const i = n++;
        const a: Attempt = { customer: `c-${i}`, key: `k-${i}`, sentAt: Date.now(), answer: undefined, duringOutage: false };
        a.answer = await placeHot(engine.url, dropId, a.customer, a.key, 15_000);
        // Strictly inside the outage: sent after the cut settled, answered before the restore.
        a.duringOutage = outage !== undefined && a.sentAt >= outage.from + 200 && a.sentAt + (a.answer?.ms ?? 0) < outage.to;
        attempts.push(a);
        if (!a.answer || a.answer.status >= 500) await sleep(20);
      }
    });

    let readyDuringOutage: Answer | undefined;
    for (let o = 0; o < outages; o++) {
      await sleep(1000);
      const from = Date.now();
      outage = { from, to: Number.POSITIVE_INFINITY };
      proxy.cut();
      await sleep(outageMs / 2);
      readyDuringOutage = await tryFetch(`${engine.url}/health/ready`);
      await sleep(outageMs / 2);
      outage.to = Date.now();
      proxy.restore();
      outageWindows.push({ from, to: outage.to });
      outage = undefined;
    }
    // The engine reconnects on its own: ready again, and taking orders, without a restart.
    const restoredAt = Date.now();
    let ready: Answer | undefined;
    while (Date.now() - restoredAt < 20_000) {
      ready = await tryFetch(`${engine.url}/health/ready`);
      if (ready?.status === 200) break;
      await sleep(100);
    }
    const reconnectMs = Date.now() - restoredAt;
    await sleep(1000);
    stop = true;
    await Promise.all(buyers);

    if (ready?.status !== 200)
      throw new Error(
        `not ready ${reconnectMs} ms after the restore: ${JSON.stringify(ready)}\nengine alive: ${engine.child.exitCode === null}\n${engine.output().slice(-3000)}`,
      );
    expect(readyDuringOutage).toMatchObject({ status: 503, body: { code: 'STORE.UNAVAILABLE' } });
    const during = attempts.filter((a) => a.duringOutage);
    expect(during.length).toBeGreaterThan(0);
    for (const a of during) {
      expect(a.answer).toBeDefined();
      expect({ status: a.answer!.status, code: a.answer!.body?.code }).toEqual({ status: 503, code: 'STORE.UNAVAILABLE' });
      expect(a.answer!.ms).toBeLessThanOrEqual(ANSWER_BOUND_MS);
    }
    // Nothing but 201 and 503 anywhere in the run: no 500, no 4xx.
    for (const a of attempts) expect([201, 503, undefined]).toContain(a.answer?.status);
    expect(attempts.filter((a) => a.answer?.status === 201 && a.sentAt > restoredAt + reconnectMs).length).toBeGreaterThan(0);

    // Retry everything that did not get a 201, with the same key: each resolves to one pre-order.
    for (const a of attempts.filter((x) => x.answer?.status !== 201)) {
      const retry = await placeHot(engine.url, dropId, a.customer, a.key);
      expect(retry?.status).toBe(201);
      a.answer = retry;
    }
    const { rows } = await db.pool.query<{ id: string; n: number }>(
      `select data->>'preOrderId' as id, count(*)::int as n from events where stream_name = $1 and type = 'PreOrderPlaced' group by 1`,
      [`drop-${dropId}`],
    );
    const stored = new Map(rows.map((r) => [r.id, r.n]));
    for (const a of attempts) {
      const id = preOrderIdFor(dropId, a.customer, a.key);
      expect(a.answer!.body.preOrderId).toBe(id);
      expect(stored.get(id)).toBe(1);
    }
    expect(stored.size).toBe(attempts.length);
    console.log(
      `[chaos] postgres outage: ${outages} × ${outageMs} ms, ${attempts.length} pre-orders, ${during.length} answered during outages (max ${Math.max(...during.map((a) => a.answer!.ms))} ms), reconnect ${reconnectMs} ms, windows ${JSON.stringify(outageWindows.map((w) => w.to - w.from))}`,
    );
  }, 600_000);
});
