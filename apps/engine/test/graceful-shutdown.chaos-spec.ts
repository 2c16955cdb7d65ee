import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { Answer, openHotDrop, placeHot, sleep } from './support/chaos';
import { EngineProcess, startEngineProcess } from './support/engine-process';

/**
 * SIGTERM under load: the engine stops taking requests, finishes the batches in flight
 * (their callers get their 201s), closes its connections and exits 0. Nothing is stored
 * that its caller was not told about, and nothing acknowledged is missing.
 */
describe('graceful shutdown on SIGTERM (built engine)', () => {
  requirePostgres();
  let db: TestPostgresDatabase;
  let engine: EngineProcess;

  beforeAll(async () => {
    db = await createTestPostgresDatabase('chaos_sigterm');
    engine = await startEngineProcess({ EVENT_STORE: 'postgres', DATABASE_URL: db.url, LOG_LEVEL: 'log' });
  }, 120_000);
  afterAll(async () => {
    await engine?.stop('SIGKILL');
    await db?.drop();
  }, 60_000);

  it('drains in-flight pre-orders, answers them, and exits 0', async () => {
    const dropId = await openHotDrop(engine.url, 100_000, 5);
    const results: Array<Answer | undefined> = [];
    let i = 0;
    const buyers = Array.from({ length: 24 }, async () => {
      // Keep sending until the engine stops answering.
      for (;;) {
        const n = i++;
        const a = await placeHot(engine.url, dropId, `c-${n}`, `k-${n}`, 10_000);
        results.push(a);
        if (!a || a.status === 503) return;
      }
    });
    await sleep(1500);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      engine.child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const termAt = Date.now();
    engine.child.kill('SIGTERM');
    await Promise.all(buyers);
    const { code, at } = await exited;

    if (code !== 0) throw new Error(`exit ${code}:\n${engine.output().slice(-4000)}`);
    expect(at - termAt).toBeLessThan(15_000);
    expect(engine.output()).toContain('SIGTERM received');
    expect(engine.output()).toContain('stopped cleanly');
    const acknowledged = results.filter((r) => r?.status === 201).map((r) => r!.body.preOrderId as string);
    // Only 201s, refused connections and (on a kept-alive connection while closing) 503s.
    for (const r of results) expect([201, 503, undefined]).toContain(r?.status);
    const { rows } = await db.pool.query<{ id: string }>(
      `select data->>'preOrderId' as id from events where stream_name = $1 and type = 'PreOrderPlaced'`,
      [`drop-${dropId}`],
    );
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(acknowledged));
    expect(acknowledged.length).toBeGreaterThan(0);
    // The leases went with the connections: nothing of the engine is left on the server.
    const left = await db.pool.query(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and application_name = 'dropline'`,
    );
    expect(left.rows[0].n).toBe(0);
    console.log(
      `[chaos] SIGTERM: ${results.length} requests, ${acknowledged.length} acknowledged and stored, exit ${code} after ${at - termAt} ms`,
    );
  }, 120_000);
});
