import { preOrderIdFor } from '@dropline/domain';
import { leaseKey } from '@dropline/runtime';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { describeKafka, recordingConsumer, startPrivateMockCluster, testKafka, uniqueTopic, waitFor } from '../../../test/support/kafka';
import { Answer, chaosSize, openHotDrop, placeHot, sleep, tryFetch } from './support/chaos';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import {
  eventually,
  foldedEventCount,
  incrementalAndRebuilt,
  projectionEventsProcessed,
  relayedEventIds,
} from './support/read-model-check';
import { bearer } from '../../../libs/platform/src/testing/test-auth';

/**
 * Two engine OS processes on one PostgreSQL (and one Kafka mock cluster) under load. Buyers
 * spread over both; midway the engine running the relay is SIGKILLed and the other takes over.
 * Invariants hold (cap exact, per-customer limit), and the once-only workers really run once:
 * every sample of pg_locks shows each lease (scheduler, projection, restock reactor, relay) held
 * by at most one backend, and at most one engine's /messaging/status says its relay is active;
 * afterwards the projection applied each folded event once (checkpoint = log, rows = a fresh
 * rebuild) and the topic holds every relayed event.
 */
describeKafka('two engines on one PostgreSQL under load (chaos)', () => {
  requirePostgres();
  const customers = chaosSize('CUSTOMERS', 80, 400);
  const cap = Math.floor(customers * 0.8);
  let cluster: Awaited<ReturnType<typeof startPrivateMockCluster>>;
  let db: TestPostgresDatabase;
  let engines: EngineProcess[] = [];
  const topic = uniqueTopic('chaos-two');
  const leases = ['scheduler', 'projection:drops', 'reactor:restock', `relay:${topic}`];

  beforeAll(async () => {
    cluster = await startPrivateMockCluster();
    db = await createTestPostgresDatabase('chaos_two');
    const env = {
      EVENT_STORE: 'postgres',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'error',
      RUN_SCHEDULER: 'true',
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_IDEMPOTENT_PRODUCER: 'false',
      RUN_CONSUMERS: 'false',
    };
    engines = [await startEngineProcess(env), await startEngineProcess(env)];
  }, 120_000);
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.stop('SIGKILL')));
    cluster?.stop();
    await db?.drop();
  }, 60_000);

  const alive = (e: EngineProcess) => e.child.exitCode === null && e.child.signalCode === null;
  const relayState = async (e: EngineProcess): Promise<string | undefined> =>
    alive(e) ? (await tryFetch(`${e.url}/messaging/status`, { headers: bearer('ops'), timeoutMs: 2_000 }))?.body?.relay?.state : undefined;
  const ACTIVE = new Set(['publishing', 'caught-up', 'retrying']);

  /** Backends holding each lease's advisory lock right now. */
  async function leaseHolders(): Promise<Record<string, number>> {
    const { rows } = await db.pool.query<{ k: string; n: number }>(
      `select ((classid::bigint << 32) | objid::bigint)::text as k, count(*)::int as n from pg_locks
        where locktype = 'advisory' and granted and objsubid = 1 and database = (select oid from pg_database where datname = current_database())
        group by 1`,
    );
    const byKey = new Map(rows.map((r) => [r.k, r.n]));
    return Object.fromEntries(leases.map((name) => [name, byKey.get(leaseKey(name).toString()) ?? 0]));
  }

  it('sells exactly the cap within the limit, runs each lease once, survives the relay holder’s SIGKILL and loses no event', async () => {
    const dropId = await openHotDrop(engines[0].url, cap, 1);
    await eventually('each lease taken', async () => Object.values(await leaseHolders()).every((n) => n === 1));
    const kafka = testKafka('chaos-two', cluster.brokers, 2_000);
    const group = await recordingConsumer(kafka, topic, `${topic}.g`);

    const requests = Array.from({ length: customers * 2 }, (_, i) => ({
      customer: `c-${i % customers}`,
      key: `k-${i}`,
      answers: [] as Array<Answer | undefined>,
    }));
    let next = 0;
    const pick = (i: number) => (alive(engines[i % 2]) ? engines[i % 2] : engines[(i + 1) % 2]);
    const buyers = Array.from({ length: 12 }, async () => {
      while (next < requests.length) {
        const i = next++;
        requests[i].answers.push(await placeHot(pick(i).url, dropId, requests[i].customer, requests[i].key, 5_000));
      }
    });
    // Samples while the load runs: never two holders of a lease, never two active relays.
    const samples: Array<{ holders: Record<string, number>; activeRelays: number }> = [];
    let loading = true;
    const sampler = (async () => {
      while (loading) {
        const [holders, states] = await Promise.all([leaseHolders(), Promise.all(engines.map(relayState))]);
        samples.push({ holders, activeRelays: states.filter((s) => s !== undefined && ACTIVE.has(s)).length });
        await sleep(100);
      }
    })();
    // Kill the relay's holder when half the requests are through.
    let killed = -1;
    const killer = (async () => {
      while (next < requests.length / 2) await sleep(5);
      const states = await Promise.all(engines.map(relayState));
      killed = states.findIndex((s) => s !== undefined && ACTIVE.has(s));
      expect(killed).toBeGreaterThanOrEqual(0);
      await engines[killed].stop('SIGKILL');
    })();
    await Promise.all(buyers);
    await killer;
    const survivor = engines[1 - killed];
    // Requests lost with the killed engine are retried at the survivor with their key.
    for (const r of requests) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const last = r.answers[r.answers.length - 1];
        if (last && last.status < 500) break;
        r.answers.push(await placeHot(survivor.url, dropId, r.customer, r.key));
        await sleep(50);
      }
    }
    await eventually(
      'the survivor to take every lease and run the relay',
      async () => Object.values(await leaseHolders()).every((n) => n === 1) && ACTIVE.has((await relayState(survivor)) ?? ''),
    );
    loading = false;
    await sampler;

    try {
      // Invariants: one outcome per key, every 201 stored once, the cap sold exactly, one per customer.
      const { rows } = await db.pool.query<{ id: string; customer: string; n: number }>(
        `select data->>'preOrderId' as id, data->>'customerId' as customer, count(*)::int as n from events where stream_name = $1 and type = 'PreOrderPlaced' group by 1, 2`,
        [`drop-${dropId}`],
      );
      const stored = new Map(rows.map((r) => [r.id, r]));
      let acknowledged = 0;
      for (const r of requests) {
        const outcomes = new Set(
          r.answers
            .filter((a): a is Answer => a !== undefined && a.status < 500)
            .map((a) => (a.status === 201 ? `201:${a.body.preOrderId}` : `${a.status}`)),
        );
        expect({ key: r.key, outcomes: outcomes.size }).toEqual({ key: r.key, outcomes: 1 });
        const [outcome] = [...outcomes];
        const id = preOrderIdFor(dropId, r.customer, r.key);
        if (outcome.startsWith('201')) {
          acknowledged++;
          expect(stored.get(id)?.n).toBe(1);
        } else {
          expect(outcome).toBe('409');
          expect(stored.has(id)).toBe(false);
        }
      }
      expect(acknowledged).toBe(cap);
      expect(stored.size).toBe(cap);
      expect(new Set(rows.map((r) => r.customer)).size).toBe(rows.length);

      // Each lease had at most one holder, and at most one relay was active, in every sample.
      expect(samples.length).toBeGreaterThan(5);
      expect(samples.filter((s) => Object.values(s.holders).some((n) => n > 1) || s.activeRelays > 1)).toEqual([]);

      // Nothing lost on the topic across the takeover (at least once: re-sends are allowed).
      const appended = await relayedEventIds(db.pool);
      const ceIds = () => new Set(group.received.map((m) => m.message.headers!.ce_id!.toString()));
      await waitFor(
        () => appended.every((id) => ceIds().has(id)),
        120_000,
        () => `${appended.filter((id) => !ceIds().has(id)).length} of ${appended.length} events not on the topic`,
      );

      // Projections ran once: the checkpoint counts each folded event once, the rows equal a fresh rebuild.
      const folded = await foldedEventCount(db.pool);
      await eventually('the projection to catch up', async () => (await projectionEventsProcessed(db.pool)) === folded);
      expect(await survivor.stop('SIGTERM')).toBe(0);
      const { incremental, rebuilt, eventsDone, status } = await incrementalAndRebuilt(db.pool);
      expect(incremental.rm_customer_pre_orders).toHaveLength(cap);
      expect({ status, eventsDone }).toEqual({ status: 'done', eventsDone: folded });
      expect(rebuilt).toEqual(incremental);
      console.log(
        `[chaos] two engines: ${requests.length} requests over 2 engines, relay holder (engine ${killed}) SIGKILLed midway, ${acknowledged} acknowledged = cap ${cap}, ` +
          `${samples.length} lease samples never showed two holders or two active relays, ${appended.length} events all on the topic (${group.received.length} deliveries), ${folded} folded once, read models = fresh rebuild`,
      );
    } finally {
      await group.stop();
    }
  }, 600_000);
});
