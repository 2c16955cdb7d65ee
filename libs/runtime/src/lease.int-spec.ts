import { createTestPostgresDatabase, requirePostgres, type TestPostgresDatabase } from '../../../test/support/postgres';
import { AdvisoryLease, assertHeld, LEASE_FENCES_TABLE, LeaseLostError, ProcessLease } from './lease';

describe('AdvisoryLease fence (PostgreSQL)', () => {
  requirePostgres();
  let db: TestPostgresDatabase;
  beforeAll(async () => {
    db = await createTestPostgresDatabase('lease_fence');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('holds once, and every acquisition gets a greater fence than all earlier ones', async () => {
    const a = new AdvisoryLease(db.pool, 'fence-test');
    const b = new AdvisoryLease(db.pool, 'fence-test');
    // Two first acquisitions at once also create the fence table at once.
    const first = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
    expect(first.filter(Boolean)).toHaveLength(1);
    const fences: number[] = [];
    let [holder, other] = first[0] ? [a, b] : [b, a];
    for (let i = 0; i < 4; i++) {
      expect(holder.held).toBe(true);
      expect(other.fence).toBeUndefined();
      expect(await other.tryAcquire()).toBe(false);
      fences.push(holder.fence!);
      expect(await holder.tryAcquire()).toBe(true); // still held: same fence
      expect(holder.fence).toBe(fences.at(-1));
      await holder.release();
      expect(holder.fence).toBeUndefined();
      expect(await other.tryAcquire()).toBe(true);
      [holder, other] = [other, holder];
    }
    await holder.release();
    expect(fences).toEqual([1, 2, 3, 4]);
    const { rows } = await db.pool.query(`select fence::int as fence from ${LEASE_FENCES_TABLE} where name = 'fence-test'`);
    expect(rows).toEqual([{ fence: 5 }]);
  });

  it('gives its connection back without its idle timeout, and a failure of it later is not the new holding’s', async () => {
    const lease = new AdvisoryLease(db.pool, 'handed-back');
    expect(await lease.tryAcquire()).toBe(true);
    const session = async (client: { query: (q: string) => Promise<{ rows: Array<{ t: string }> }> }) =>
      (await client.query(`select current_setting('idle_session_timeout') as t`)).rows[0].t;
    await lease.release();
    // The connection it held, now the pool's: kept by someone else while the lease is taken again on another.
    const former = await db.pool.connect();
    try {
      expect(await session(former)).toBe('0');
      expect(await lease.tryAcquire()).toBe(true);
      const fence = lease.fence;
      former.emit('error', new Error('Connection terminated unexpectedly'));
      expect(lease.held).toBe(true);
      expect(await lease.tryAcquire()).toBe(true);
      expect(lease.fence).toBe(fence);
    } finally {
      former.release();
      await lease.release();
    }
  });

  it('shares one renewal between the background timer and tryAcquire, and stays held while renewed', async () => {
    const lease = new AdvisoryLease(db.pool, 'renewed', { idleSessionTimeoutMs: 600 });
    expect(await lease.tryAcquire()).toBe(true);
    const fence = lease.fence;
    // Three timeouts without a tryAcquire: the background renewals (every 200 ms) keep the session and the holding.
    await new Promise((r) => setTimeout(r, 1_800));
    expect(lease.held).toBe(true);
    expect(await Promise.all([lease.tryAcquire(), lease.tryAcquire()])).toEqual([true, true]);
    expect(lease.fence).toBe(fence);
    const other = new AdvisoryLease(db.pool, 'renewed');
    expect(await other.tryAcquire()).toBe(false);
    await lease.release();
    expect(await other.tryAcquire()).toBe(true);
    await other.release();
  });
});

describe('ProcessLease fence', () => {
  it('is process-wide increasing and at least the wall-clock milliseconds (so it also grows across restarts)', async () => {
    const scope = {};
    const before = Date.now();
    const a = new ProcessLease('p', scope);
    const b = new ProcessLease('p', scope);
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    const f1 = a.fence!;
    expect(f1).toBeGreaterThanOrEqual(before);
    await a.release();
    expect(a.fence).toBeUndefined();
    expect(() => assertHeld(a, 'a write')).toThrow(LeaseLostError);
    expect(await b.tryAcquire()).toBe(true);
    expect(b.fence!).toBeGreaterThan(f1);
    expect(assertHeld(b, 'a write')).toBe(b.fence);
    await b.release();
  });
});
