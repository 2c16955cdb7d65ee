import { PostgresEventStore, ensureEventStoreSchema, type EventStore } from '@dropline/event-store';
import { createTestEmbeddedDatabase } from '../../../test/support/pglite';
import { EventStoreLease, leaseStreamName } from './event-store-lease';

/** A monotonic clock moved by hand: expiry is decided on it, never on a sleep. */
function manualClock(start = 1_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('EventStoreLease on PGlite', () => {
  let db: Awaited<ReturnType<typeof createTestEmbeddedDatabase>>;
  let store: EventStore;
  let n = 0;
  const TTL = 1_000;

  beforeAll(async () => {
    db = await createTestEmbeddedDatabase();
    await ensureEventStoreSchema(db.pool);
    store = new PostgresEventStore(db.pool);
  });
  afterAll(async () => {
    await store.close();
    await db.close();
  });

  /** Two contenders on a fresh lease name, on one manual clock (or one each). */
  function pair(clockA = manualClock(), clockB = clockA) {
    const name = `test:lease-${++n}`;
    const a = new EventStoreLease(store, name, { ttlMs: TTL, monotonic: clockA.now, autoRenew: false, holder: 'A' });
    const b = new EventStoreLease(store, name, { ttlMs: TTL, monotonic: clockB.now, autoRenew: false, holder: 'B' });
    return { name, a, b };
  }

  it('keeps the stream in the lease category whatever the name holds', () => {
    expect(leaseStreamName('relay:dropline.drop-events')).toBe('lease-relay:dropline.drop-events');
    expect(leaseStreamName('consumer:a b/c')).toBe('lease-consumer:a_b_c');
  });

  it('lets one of two contenders hold it, with the acquiring revision as the fence', async () => {
    const clock = manualClock();
    const { name, a, b } = pair(clock);
    expect(await a.tryAcquire()).toBe(true);
    expect(a.held).toBe(true);
    expect(a.fence).toBe(0);
    expect(await b.tryAcquire()).toBe(false);
    expect(b.held).toBe(false);
    expect(b.fence).toBeUndefined();
    // Racing acquisitions from a fresh stream: exactly one wins.
    const name2 = `${name}-race`;
    const contenders = ['x', 'y', 'z'].map(
      (h) => new EventStoreLease(store, name2, { ttlMs: TTL, monotonic: clock.now, autoRenew: false, holder: h }),
    );
    const won = await Promise.all(contenders.map((c) => c.tryAcquire()));
    expect(won.filter(Boolean)).toHaveLength(1);
    const events = await store.readStream(leaseStreamName(name));
    expect(events.map((e) => [e.type, (e.data as { holder: string }).holder])).toEqual([['LeaseAcquired', 'A']]);
  });

  it('renews on the holder’s schedule and so keeps a contender out indefinitely', async () => {
    const clock = manualClock();
    const { name, a, b } = pair(clock);
    await a.tryAcquire();
    const fence = a.fence;
    expect(await b.tryAcquire()).toBe(false);
    for (let i = 0; i < 10; i++) {
      clock.advance(TTL / 3);
      expect(await a.tryAcquire()).toBe(true);
      expect(await b.tryAcquire()).toBe(false);
    }
    // Ten renewals later (3.3 TTLs), still the same holding and the same fence.
    expect(a.fence).toBe(fence);
    const types = (await store.readStream(leaseStreamName(name))).map((e) => e.type);
    expect(types[0]).toBe('LeaseAcquired');
    expect(types.slice(1).every((t) => t === 'LeaseRenewed')).toBe(true);
    expect(types.length).toBeGreaterThanOrEqual(10);
  });

  it('does not renew without need: a call inside the renewal interval writes nothing', async () => {
    const clock = manualClock();
    const { name, a } = pair(clock);
    await a.tryAcquire();
    for (let i = 0; i < 20; i++) expect(await a.tryAcquire()).toBe(true);
    expect(await store.readStream(leaseStreamName(name))).toHaveLength(1);
  });

  it('turns held false at the paused holder’s local deadline, and the contender takes over only after a full TTL of an unchanged stream', async () => {
    const clockA = manualClock();
    const clockB = manualClock(50_000); // the clocks need not agree, only tick alike
    const { a, b } = pair(clockA, clockB);
    await a.tryAcquire();
    const firstFence = a.fence!;
    expect(await b.tryAcquire()).toBe(false); // B starts observing revision 0

    // A is "paused": its clock runs, it makes no call. It stops holding a fifth of a TTL before B may take over.
    clockA.advance(TTL * 0.8 - 1);
    expect(a.held).toBe(true);
    clockA.advance(1);
    expect(a.held).toBe(false);
    expect(a.fence).toBeUndefined();

    clockB.advance(TTL - 1);
    expect(await b.tryAcquire()).toBe(false); // not yet a full TTL unchanged
    clockB.advance(1);
    expect(await b.tryAcquire()).toBe(true);
    expect(b.fence!).toBeGreaterThan(firstFence);

    // A resumes: it does not hold, and its renewal is refused by the expected revision.
    clockA.advance(TTL);
    expect(a.held).toBe(false);
    expect(await a.tryAcquire()).toBe(false);
    expect(a.held).toBe(false);
    expect(b.held).toBe(true);
  });

  it('gives a holder back its lease with a new fence when it renews late but nobody took over', async () => {
    const clock = manualClock();
    const { a } = pair(clock);
    await a.tryAcquire();
    const fence = a.fence!;
    clock.advance(TTL * 2);
    expect(a.held).toBe(false);
    expect(await a.tryAcquire()).toBe(true);
    expect(a.fence!).toBeGreaterThan(fence);
  });

  it('lets the other in at once after a release, with a greater fence; fences grow across every holding', async () => {
    const clock = manualClock();
    const { a, b } = pair(clock);
    const fences: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [holder, other] = i % 2 === 0 ? [a, b] : [b, a];
      expect(await holder.tryAcquire()).toBe(true);
      expect(await other.tryAcquire()).toBe(false);
      fences.push(holder.fence!);
      clock.advance(TTL / 3);
      await holder.tryAcquire(); // a renewal does not change the fence
      expect(holder.fence).toBe(fences.at(-1));
      await holder.release();
      expect(holder.held).toBe(false);
    }
    expect(fences).toEqual([...fences].sort((x, y) => x - y));
    expect(new Set(fences).size).toBe(fences.length);
  });

  it('renews in the background on the real monotonic clock and hands over after the holder stops renewing', async () => {
    const name = `test:lease-${++n}-live`;
    const ttlMs = 600;
    const a = new EventStoreLease(store, name, { ttlMs });
    const b = new EventStoreLease(store, name, { ttlMs });
    expect(await a.tryAcquire()).toBe(true);
    // For 3 TTLs B tries and fails: A's timer renews without any call from its owner.
    const until = Date.now() + ttlMs * 3;
    while (Date.now() < until) {
      expect(await b.tryAcquire()).toBe(false);
      expect(a.held).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
    }
    // A stops renewing (as if frozen) without releasing: B gets it once A's holding has run out.
    (a as unknown as { stopTimer(): void }).stopTimer();
    await waitUntil('B takes over', async () => await b.tryAcquire());
    expect(a.held).toBe(false);
    expect(await a.tryAcquire()).toBe(false);
    await b.release();
    await a.release();
  });
});
