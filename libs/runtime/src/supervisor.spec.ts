import type { EventStore, ReadAllOptions, ReadAllResult, RecordedEvent } from '@dropline/event-store';
import { backoffDelay } from './backoff';
import type { CheckpointStore } from './checkpoints';
import { ProcessLease } from './lease';
import type { Processor, ProcessorPage } from './processor';
import { Supervisor } from './supervisor';

/** A log of `n` events at positions "1".."n", readable a page at a time like the real stores. */
function memoryStore(count: number, failReads: Set<number> = new Set()): EventStore & { reads: number } {
  const events: RecordedEvent[] = Array.from({ length: count }, (_, i) => ({
    eventId: `e${i + 1}`,
    type: 'Thing',
    schemaVersion: 1,
    data: {},
    metadata: { correlationId: 'c', causationId: null, actor: 'a', occurredAt: '2025-01-01T00:00:00Z', traceparent: '' },
    streamName: 'thing-1',
    revision: i,
    position: String(i + 1),
    recordedAt: '2025-01-01T00:00:00Z',
  }));
  const store = {
    reads: 0,
    async readAll(options?: ReadAllOptions): Promise<ReadAllResult> {
      store.reads++;
      if (failReads.delete(store.reads)) throw new Error(`read ${store.reads} failed`);
      const from = Number(options?.fromPosition ?? 0);
      const page = events.filter((e) => Number(e.position) > from).slice(0, options?.maxCount ?? events.length);
      const position = page.at(-1)?.position ?? options?.fromPosition;
      return { events: page, position, isEnd: Number(position ?? 0) >= events.length };
    },
    comparePositions: (a: string, b: string) => Number(a) - Number(b),
    headRecordedAt: async () => events.at(-1)?.recordedAt,
    countAfter: async (position: string | undefined) => events.filter((e) => Number(e.position) > Number(position ?? 0)).length,
  };
  return store as unknown as EventStore & { reads: number };
}

/** A checkpoint store in memory (the fenced SQL is checked against PGlite in checkpoints.int-spec.ts). */
function memoryCheckpoints(): CheckpointStore & { rows: Map<string, string | undefined> } {
  const rows = new Map<string, string | undefined>();
  return {
    rows,
    ensureSchema: async () => undefined,
    load: async (name: string) =>
      rows.has(name) ? { name, position: rows.get(name), eventsProcessed: 0, lastEventAt: undefined, fence: 0 } : undefined,
    save: async (c: { name: string; position: string | undefined }) => void rows.set(c.name, c.position),
  } as unknown as CheckpointStore & { rows: Map<string, string | undefined> };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('backoffDelay', () => {
  it('grows exponentially with full jitter between half and the whole ceiling, capped', () => {
    expect(backoffDelay(1, 100, 1_000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 1_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 1_000, () => 1)).toBe(400);
    expect(backoffDelay(10, 100, 1_000, () => 1)).toBe(1_000);
    expect(backoffDelay(10, 100, 1_000, () => 0)).toBe(500);
  });
});

describe('Supervisor', () => {
  const handled: string[] = [];
  const recorder = (checkpoints: CheckpointStore, fail?: (page: ProcessorPage) => boolean): Processor => ({
    name: 'consumer:test',
    pageSize: 3,
    idleMs: 5,
    async handle(page, ctx) {
      if (fail?.(page)) throw new Error('handler failed');
      handled.push(...page.events.map((e) => e.eventId));
      await checkpoints.save({ name: 'consumer:test', position: page.position, fence: ctx.fence });
    },
  });
  beforeEach(() => (handled.length = 0));

  it('restarts a processor whose read failed between pages, counts the restart, keeps the error, resumes from its checkpoint', async () => {
    const store = memoryStore(10, new Set([2]));
    const checkpoints = memoryCheckpoints();
    const supervisor = new Supervisor({ store, checkpoints, backoff: { initialMs: 10, maxMs: 20 }, idleMs: 5 });
    supervisor.add(recorder(checkpoints), new ProcessLease('consumer:test', {}));
    supervisor.start();
    await until(() => handled.length === 10 && supervisor.statusOf('consumer:test')?.state === 'caught-up', 'all ten handled');
    await supervisor.stop();
    const status = supervisor.statusOf('consumer:test')!;
    expect(status.restarts).toBe(1);
    expect(status.lastError).toBe('read 2 failed');
    expect(status.consecutiveFailures).toBe(0);
    expect(status.state).toBe('stopped');
    // Page 1 was checkpointed before the failure: nothing is handled twice.
    expect(handled).toEqual(Array.from({ length: 10 }, (_, i) => `e${i + 1}`));
    expect(checkpoints.rows.get('consumer:test')).toBe('10');
  });

  it('backs off longer after each consecutive failure and reports retrying meanwhile', async () => {
    const store = memoryStore(3);
    const checkpoints = memoryCheckpoints();
    let failures = 0;
    const supervisor = new Supervisor({ store, checkpoints, backoff: { initialMs: 40, maxMs: 1_000 }, idleMs: 5 });
    supervisor.add(
      recorder(checkpoints, () => ++failures <= 3),
      undefined,
    );
    const started = Date.now();
    supervisor.start();
    await until(() => supervisor.statusOf('consumer:test')?.state === 'retrying', 'retrying');
    await until(() => handled.length === 3, 'handled after three failures');
    const elapsed = Date.now() - started;
    const status = supervisor.statusOf('consumer:test')!;
    await supervisor.stop();
    expect(status.restarts).toBe(3);
    expect(status.consecutiveFailures).toBe(0);
    // At least half of each ceiling: 20 + 40 + 80 ms.
    expect(elapsed).toBeGreaterThanOrEqual(140);
  });

  it('stands by while another holder has the lease, and takes over from the stored checkpoint', async () => {
    const store = memoryStore(6);
    const checkpoints = memoryCheckpoints();
    checkpoints.rows.set('consumer:test', '4');
    const scope = {};
    const other = new ProcessLease('consumer:test', scope);
    await other.tryAcquire();
    const supervisor = new Supervisor({ store, checkpoints, leaseRetryMs: 10, idleMs: 5 });
    const lease = new ProcessLease('consumer:test', scope);
    supervisor.add(recorder(checkpoints), lease);
    supervisor.start();
    await until(() => supervisor.statusOf('consumer:test')?.state === 'standby', 'standby');
    expect(await supervisor.lag('consumer:test')).toBeUndefined();
    expect(handled).toEqual([]);
    await other.release();
    await until(() => supervisor.statusOf('consumer:test')?.state === 'caught-up', 'caught up');
    expect(handled).toEqual(['e5', 'e6']);
    expect(supervisor.statusOf('consumer:test')!.fence).toBe(lease.fence);
    expect(await supervisor.lag('consumer:test')).toEqual({ lagSeconds: 0, lagEvents: 0 });
    await supervisor.stop();
  });

  it('shares a lag measurement among concurrent callers (readiness probes, scrapes): the store is read once for them', async () => {
    const store = memoryStore(3);
    // The lag's reads are of one event (measureLag); the processor's pages are of three.
    let lagReads = 0;
    const readAll = store.readAll.bind(store);
    store.readAll = (options?: ReadAllOptions) => {
      if (options?.maxCount === 1) lagReads++;
      return readAll(options);
    };
    const checkpoints = memoryCheckpoints();
    const supervisor = new Supervisor({ store, checkpoints, idleMs: 5, lagTtlMs: 60_000 });
    supervisor.add(recorder(checkpoints), new ProcessLease('consumer:test', {}));
    supervisor.start();
    try {
      await until(() => supervisor.statusOf('consumer:test')?.state === 'caught-up', 'caught up');
      const lags = await Promise.all(Array.from({ length: 20 }, () => supervisor.lag('consumer:test')));
      expect(lags).toEqual(Array.from({ length: 20 }, () => ({ lagSeconds: 0, lagEvents: 0 })));
      expect(lagReads).toBe(1);
      // A zero is not kept once answered (SharedLag): the next caller reads again.
      expect(await supervisor.lag('consumer:test')).toEqual({ lagSeconds: 0, lagEvents: 0 });
      expect(lagReads).toBe(2);
    } finally {
      await supervisor.stop();
    }
  });

  it('stops reading when the lease is lost and starts again from the checkpoint on the next holding', async () => {
    const store = memoryStore(4);
    const checkpoints = memoryCheckpoints();
    const lease = new ProcessLease('consumer:test', {});
    const supervisor = new Supervisor({ store, checkpoints, leaseRetryMs: 10, leaseRenewMs: 0, idleMs: 5 });
    let starts = 0;
    supervisor.add({ ...recorder(checkpoints), start: async () => (starts++, checkpoints.rows.get('consumer:test')) }, lease);
    supervisor.start();
    await until(() => handled.length === 4, 'first holding');
    const firstFence = lease.fence;
    await lease.release();
    await until(() => starts === 2, 'second holding');
    expect(lease.fence).toBeGreaterThan(firstFence!);
    await until(() => supervisor.statusOf('consumer:test')?.state === 'caught-up', 'caught up again');
    expect(handled).toHaveLength(4);
    await supervisor.stop();
  });

  it('runs tasks and restarts one that crashed', async () => {
    const checkpoints = memoryCheckpoints();
    const supervisor = new Supervisor({ store: memoryStore(0), checkpoints, backoff: { initialMs: 5, maxMs: 10 } });
    let runs = 0;
    supervisor.addTask({
      name: 'kafka-consumer:test',
      run: async (ctx) => {
        runs++;
        ctx.up();
        if (runs === 1) throw new Error('consumer crashed');
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      },
    });
    supervisor.start();
    await until(() => runs === 2 && supervisor.statusOf('kafka-consumer:test')?.state === 'running', 'second run');
    expect(supervisor.statusOf('kafka-consumer:test')).toMatchObject({ restarts: 1, lastError: 'consumer crashed', kind: 'task' });
    await supervisor.stop();
    expect(supervisor.statusOf('kafka-consumer:test')!.state).toBe('stopped');
  });
});
