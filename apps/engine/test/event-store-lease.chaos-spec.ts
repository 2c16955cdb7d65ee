import { leaseStreamName } from '@dropline/runtime';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { describeKafka, recordingConsumer, startPrivateMockCluster, testKafka, uniqueTopic } from '../../../test/support/kafka';
import { placeHot, sleep, tryFetch } from './support/chaos';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { eventually, relayedEventIds } from './support/read-model-check';
import { harbourHoodie } from './support/test-engine';
import { bearer } from '../../../libs/platform/src/testing/test-auth';

const TTL_MS = 2_000;

interface LeaseView {
  name: string;
  store: string;
  held: boolean;
  fence: number | undefined;
}
interface Status {
  relay?: { state: string; fence?: number; restarts: number };
  leaseStore: string;
  leases: LeaseView[];
}

/**
 * Issue 14: two engine OS processes on PostgreSQL as the event store, with their leases in the event
 * store (LEASE_STORE=event-store, not the advisory locks) and a 2 s TTL. They run the relay, the
 * restock reactor, the projection and the scheduler once between them. The holder of every lease is
 * SIGSTOPped past its expiry while traffic goes on through the other (a drop the scheduler must open
 * and close on time, pre-orders that cross a restock threshold); the other takes every lease over.
 * The first is resumed: it reports every lease lost and its relay standing by, and its lease streams
 * show it never wrote again. Nothing is published twice (ce_id counts on the topic from the start), no
 * RestockRecommended and no window opening or closing is recorded twice, and the relay checkpoint
 * carries the new holder's fence.
 */
describeKafka('event-store leases across a paused holder (chaos)', () => {
  requirePostgres();
  let cluster: Awaited<ReturnType<typeof startPrivateMockCluster>>;
  let db: TestPostgresDatabase;
  let a: EngineProcess | undefined;
  let b: EngineProcess | undefined;
  const topic = uniqueTopic('chaos-lease');
  const leaseNames = ['scheduler', 'projection:drops', 'reactor:restock', `relay:${topic}`];

  beforeAll(async () => {
    cluster = await startPrivateMockCluster();
    db = await createTestPostgresDatabase('chaos_lease');
  }, 120_000);
  afterAll(async () => {
    if (a?.child.pid) process.kill(a.child.pid, 'SIGCONT');
    await Promise.all([a, b].map((e) => e?.stop('SIGKILL')));
    cluster?.stop();
    await db?.drop();
  }, 60_000);

  const env = () => ({
    EVENT_STORE: 'postgres',
    DATABASE_URL: db.url,
    LEASE_STORE: 'event-store',
    LEASE_TTL_MS: String(TTL_MS),
    // Below the TTL, as docs/reliability.md advises: A is paused inside a transaction.
    PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: String(TTL_MS / 2),
    LOG_LEVEL: 'warn',
    RUN_SCHEDULER: 'true',
    SCHEDULER_INTERVAL_MS: '200',
    KAFKA_BROKERS: cluster.brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_IDEMPOTENT_PRODUCER: 'false',
    RUN_CONSUMERS: 'false',
  });

  async function status(engine: EngineProcess): Promise<Status | undefined> {
    const answer = await tryFetch(`${engine.url}/messaging/status`, { headers: bearer('ops'), timeoutMs: 2_000 });
    return answer?.status === 200 ? (answer.body as Status) : undefined;
  }
  const holdsAll = async (engine: EngineProcess) => {
    const s = await status(engine);
    return !!s && leaseNames.every((name) => s.leases.some((l) => l.name === name && l.held && l.store === 'event-store'));
  };

  /** A drop whose window the scheduler opens and closes on time (nobody calls /open), one SKU that crosses its reorder point after two sales. */
  async function scheduleDrop(engine: EngineProcess, opensInMs: number, openForMs: number): Promise<string> {
    const now = Date.now();
    const body: Record<string, unknown> = harbourHoodie({
      variants: [{ sku: 'HOT-1', size: 'M', colour: 'red', editionCap: 30 }],
      window: { opensAt: new Date(now + opensInMs).toISOString(), closesAt: new Date(now + opensInMs + openForMs).toISOString() },
      perCustomerLimit: 1,
      minimumOrderQuantity: 1,
    });
    delete body.earlyAccess;
    const created = await tryFetch(`${engine.url}/drops`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer('ops') },
      body: JSON.stringify(body),
    });
    if (created?.status !== 201) throw new Error(`schedule failed: ${JSON.stringify(created)}`);
    return created.body.dropId as string;
  }

  async function countOf(dropId: string, type: string, category = 'drop'): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>(`select count(*)::int as n from events where stream_name = $1 and type = $2`, [
      `${category}-${dropId}`,
      type,
    ]);
    return rows[0].n;
  }

  /** Waits for the scheduler to open the window, places `n` pre-orders through `engine`, waits for the scheduler to close it. */
  async function sell(engine: EngineProcess, dropId: string, n: number): Promise<void> {
    await eventually(`drop ${dropId} opened by the scheduler`, async () => (await countOf(dropId, 'PreOrderWindowOpened')) > 0, 30_000);
    for (let i = 0; i < n; i++) {
      const answer = await placeHot(engine.url, dropId, `c-${dropId}-${i}`, `k-${dropId}-${i}`);
      // The body says why, should it not be 201 (a window that closed before the sale, …).
      expect({ status: answer?.status, body: answer?.body }).toMatchObject({ status: 201 });
    }
    await eventually(`drop ${dropId} closed by the scheduler`, async () => (await countOf(dropId, 'PreOrderWindowClosed')) > 0, 30_000);
  }

  /** Backends of the test database inside a transaction that has written (an xid), waiting for their client. */
  async function idleWritingTransactions(): Promise<number> {
    const { rows } = await db.pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and state = 'idle in transaction' and backend_xid is not null and pid <> pg_backend_pid()`,
    );
    return rows[0].n;
  }

  /**
   * SIGSTOPs the engine at a moment when one of its sessions is inside a writing transaction: stops it,
   * looks, and resumes it a few milliseconds later when it was not (far below the lease's TTL).
   * Returns how many tries it took.
   */
  async function pauseInsideTransaction(pid: number): Promise<number> {
    for (let attempt = 1; attempt <= 2_000; attempt++) {
      process.kill(pid, 'SIGSTOP');
      if ((await idleWritingTransactions()) > 0) return attempt;
      process.kill(pid, 'SIGCONT');
      await sleep(Math.random() * 20);
    }
    throw new Error('never caught the engine inside a transaction');
  }

  it('hands every lease over once the paused holder’s expiry passes, refuses the resumed holder’s writes, and records or publishes nothing twice', async () => {
    // A starts alone and takes every lease; B then stands by.
    a = await startEngineProcess(env());
    await eventually('A to hold every lease', () => holdsAll(a!), 30_000);
    b = await startEngineProcess(env());
    const kafka = testKafka('chaos-lease', cluster.brokers, 2_000);
    const group = await recordingConsumer(kafka, topic, `${topic}.g`);
    const ceIds = () => group.received.map((m) => m.message.headers!.ce_id!.toString());
    const allRelayed = async () => {
      const seen = new Set(ceIds());
      return (await relayedEventIds(db.pool)).every((id) => seen.has(id));
    };
    /** Waits for every relayed event on the topic; a timeout says what each engine's relay reports and logged. */
    const onTopic = async (what: string) => {
      try {
        await eventually(what, allRelayed, 30_000);
      } catch (e) {
        const seen = new Set(ceIds());
        const missing = (await relayedEventIds(db.pool)).filter((id) => !seen.has(id));
        const report = async (name: string, engine: EngineProcess | undefined) =>
          `${name}: ${JSON.stringify((await status(engine!))?.relay)} leases ${JSON.stringify((await status(engine!))?.leases)}\n${engine?.output().slice(-3_000)}`;
        throw new Error(`${(e as Error).message}: ${missing.length} not on the topic\n${await report('A', a)}\n${await report('B', b)}`);
      }
    };
    try {
      expect((await status(b))?.leases.filter((l) => l.held)).toEqual([]);

      // Phase 1, A holds: a drop opened and closed by A's scheduler, sold past its reorder point.
      const d1 = await scheduleDrop(a, 1_500, 5_000);
      await sell(a, d1, 4);
      await onTopic('everything so far on the topic');
      const aStatus = (await status(a))!;
      expect(aStatus.relay?.state).toBe('caught-up');
      const fencesBefore = new Map(aStatus.leases.map((l) => [l.name, l.fence!]));

      // Pause A, caught up, but inside one of its transactions: its projection and reactor move their
      // checkpoints past the lease events several times a second, each in a transaction (a stop inside
      // a Kafka send is the residual risk docs/architecture.md names). Paused there, A holds back the
      // log's safe horizon and its checkpoint rows until PostgreSQL ends the session
      // (PG_IDLE_IN_TRANSACTION_TIMEOUT_MS); without that, B's readers would wait for A forever.
      const pausedInTransaction = await pauseInsideTransaction(a.child.pid!);
      const pausedAt = Date.now();
      await eventually('B to take every lease over', () => holdsAll(b!), 30_000);
      const takeoverMs = Date.now() - pausedAt;
      // Not at once: B waits a full TTL of an unchanged lease stream after A's last renewal, which A
      // sent at most 4/5 TTL before the pause (else it would not have held) — so at least TTL/5 after it.
      expect(takeoverMs).toBeGreaterThanOrEqual(TTL_MS / 5);
      const bStatus = (await status(b))!;
      for (const lease of bStatus.leases) expect(lease.fence!).toBeGreaterThan(fencesBefore.get(lease.name)!);

      // Phase 2, B holds, A still paused: a drop scheduled now (through B: commands need no lease),
      // which B's scheduler must open and close; pre-orders through B. Scheduled before the pause it
      // could close before the takeover was done: finding A inside a transaction takes a varying
      // number of tries (one CI run found a 5 s window closed and the sale refused).
      const d2 = await scheduleDrop(b, 1_500, 5_000);
      await sell(b, d2, 4);
      await onTopic('phase 2 on the topic');
      const pausedFor = Date.now() - pausedAt;
      expect(pausedFor).toBeGreaterThan(3 * TTL_MS);

      // Resume A: it must see at once that it holds nothing, and write nothing leased.
      process.kill(a.child.pid!, 'SIGCONT');
      await eventually(
        'A to report every lease lost and its relay standing by',
        async () => {
          const s = await status(a!);
          return !!s && s.leases.every((l) => !l.held && l.fence === undefined) && s.relay?.state === 'standby';
        },
        20_000,
      );
      expect(await holdsAll(b)).toBe(true);

      // Phase 3, both running, B holding: traffic through A too.
      const d3 = await scheduleDrop(a, 1_500, 5_000);
      await sell(a, d3, 4);
      await onTopic('phase 3 on the topic');
      await eventually(
        'restock recommendations for every drop',
        async () => {
          for (const d of [d1, d2, d3]) if ((await countOf(d, 'RestockRecommended', 'restock')) === 0) return false;
          return true;
        },
        30_000,
      );
      // Let anything extra arrive (a resumed relay publishing again would show up here).
      await sleep(3_000);

      // Nothing published twice.
      const counts = new Map<string, number>();
      for (const id of ceIds()) counts.set(id, (counts.get(id) ?? 0) + 1);
      const appended = await relayedEventIds(db.pool);
      expect([...counts.keys()].sort()).toEqual(appended);
      expect([...counts].filter(([, n]) => n > 1)).toEqual([]);

      // No RestockRecommended, window opening or closing recorded twice.
      const { rows: restock } = await db.pool.query<{ key: string; n: number }>(
        `select concat_ws('/', data->>'dropId', data->>'sku', data->>'crossing') as key, count(*)::int as n from events
          where stream_name like 'restock-%' and type = 'RestockRecommended' group by 1`,
      );
      expect(restock.length).toBeGreaterThanOrEqual(3);
      expect(restock.filter((r) => r.n !== 1)).toEqual([]);
      for (const d of [d1, d2, d3]) {
        expect({ d, opened: await countOf(d, 'PreOrderWindowOpened'), closed: await countOf(d, 'PreOrderWindowClosed') }).toEqual({
          d,
          opened: 1,
          closed: 1,
        });
      }

      // A's lease writes stopped at the takeover: in each lease stream the holders come in runs, none returns.
      for (const name of leaseNames) {
        const { rows } = await db.pool.query<{ holder: string }>(
          `select data->>'holder' as holder from events where stream_name = $1 order by revision`,
          [leaseStreamName(name)],
        );
        const runs = rows.map((r) => r.holder).filter((h, i, all) => i === 0 || all[i - 1] !== h);
        expect({ name, repeats: runs.length - new Set(runs).size }).toEqual({ name, repeats: 0 });
        expect({ name, holders: runs.length }).toEqual({ name, holders: 2 });
      }
      // Lease events never reach Kafka (the relay's filter names the drop categories only).
      const { rows: leaseEvents } = await db.pool.query<{ id: string }>(
        `select event_id::text as id from events where stream_name like 'lease-%'`,
      );
      expect(leaseEvents.length).toBeGreaterThan(leaseNames.length * 2);
      expect(leaseEvents.filter((e) => counts.has(e.id))).toEqual([]);

      // The relay checkpoint was last written under B's fence.
      const relayFence = (await status(b))!.leases.find((l) => l.name === `relay:${topic}`)!.fence;
      const { rows: checkpoint } = await db.pool.query<{ fence: number }>(
        `select fence::int as fence from dropline_checkpoints where name = $1`,
        [`relay:${topic}`],
      );
      expect(checkpoint).toEqual([{ fence: relayFence }]);
      console.log(
        `[chaos] event-store leases: A paused ${pausedFor} ms inside a transaction (caught at try ${pausedInTransaction}; TTL ${TTL_MS} ms), B took all ${leaseNames.length} leases after ${takeoverMs} ms, ` +
          `A resumed as standby (relay restarts: ${(await status(a))?.relay?.restarts}); ${appended.length} events each on the topic once, ${restock.length} recommendations once, 3 drops opened and closed once`,
      );
    } finally {
      await group.stop();
    }
  }, 600_000);
});
