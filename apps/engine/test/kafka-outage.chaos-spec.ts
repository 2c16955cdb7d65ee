import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { describeKafka, recordingConsumer, startPrivateMockCluster, testKafka, uniqueTopic, waitFor } from '../../../test/support/kafka';
import { chaosSize, openHotDrop, placeHot, pool, sleep, tryFetch } from './support/chaos';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { bearer } from '../../../libs/platform/src/testing/test-auth';

/**
 * Kafka outage: the engine OS process relays to a private kcat mock cluster while buyers place
 * pre-orders; the test freezes every broker with SIGSTOP for a few seconds, then SIGCONT. The
 * command path never waits for Kafka, the relay's lag grows while the broker hangs (seen on
 * GET /messaging/status), drains after the resume, and a consumer group reading the topic
 * receives every event appended to the relayed streams (by ce_id): nothing lost.
 * Without kcat the suite is skipped locally; under CI=true global setup fails the run instead.
 */
describeKafka('Kafka outage: broker SIGSTOPped under load (chaos)', () => {
  requirePostgres();
  const outages = chaosSize('OUTAGES', 1, 3);
  const outageMs = chaosSize('OUTAGE_MS', 5_000, 10_000);
  const customers = chaosSize('CUSTOMERS', 60, 400);
  let cluster: Awaited<ReturnType<typeof startPrivateMockCluster>>;
  let db: TestPostgresDatabase;
  let engine: EngineProcess | undefined;
  const topic = uniqueTopic('chaos-outage');

  beforeAll(async () => {
    cluster = await startPrivateMockCluster();
    db = await createTestPostgresDatabase('chaos_kafka');
    engine = await startEngineProcess({
      EVENT_STORE: 'postgres',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'error',
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_IDEMPOTENT_PRODUCER: 'false',
      // Only the relay: the test's own consumer group is the reader under test.
      RUN_CONSUMERS: 'false',
    });
  }, 120_000);
  afterAll(async () => {
    cluster?.resume();
    await engine?.stop('SIGKILL');
    cluster?.stop();
    await db?.drop();
  }, 60_000);

  const relayStatus = async () =>
    (await tryFetch(`${engine!.url}/messaging/status`, { headers: bearer('ops') }))?.body?.relay as
      { state: string; lag: number | undefined } | undefined;

  it('keeps taking pre-orders, shows the relay lag grow, drains it after SIGCONT, and the topic holds every event', async () => {
    const url = engine!.url;
    const dropId = await openHotDrop(url, customers, 1);
    await waitFor(
      async () => (await relayStatus())?.state === 'caught-up',
      60_000,
      () => 'relay caught up before the outage',
    );
    const kafka = testKafka('chaos-outage', cluster.brokers, 2_000);
    const group = await recordingConsumer(kafka, topic, `${topic}.g`);
    const phases = outages * 2 + 1;
    const perPhase = Math.ceil(customers / phases);
    const statuses: number[] = [];
    let placed = 0;
    const place = (from: number) =>
      pool(
        Array.from({ length: Math.max(0, Math.min(perPhase, customers - from)) }, (_, i) => from + i),
        4,
        async (i) => {
          const a = await placeHot(url, dropId, `c-${i}`, `k-${i}`);
          statuses.push(a?.status ?? 0);
          placed++;
        },
      );
    const maxLags: number[] = [];
    try {
      await place(0);
      for (let o = 0; o < outages; o++) {
        // Caught up first: a relay still publishing the last phase when the broker stops could
        // finish just before it, and the lag measured "before" would then include events the
        // relay has already published.
        await waitFor(
          async () => {
            const s = await relayStatus();
            return s?.state === 'caught-up' && s.lag === 0;
          },
          60_000,
          () => `relay caught up before outage ${o + 1}`,
        );
        const before = (await relayStatus())?.lag ?? 0;
        cluster.pause();
        const pausedAt = Date.now();
        // Buyers keep going while the broker is frozen: the command path never waits for Kafka.
        await place((2 * o + 1) * perPhase);
        let maxLag = before;
        while (Date.now() - pausedAt < outageMs) {
          maxLag = Math.max(maxLag, (await relayStatus())?.lag ?? 0);
          await sleep(250);
        }
        cluster.resume();
        expect(maxLag).toBeGreaterThan(before);
        maxLags.push(maxLag);
        await place((2 * o + 2) * perPhase);
        await waitFor(
          async () => {
            const s = await relayStatus();
            return s?.state === 'caught-up' && s.lag === 0;
          },
          120_000,
          () => `relay lag after resume ${o + 1}`,
        );
      }
      expect(statuses.filter((s) => s !== 201)).toEqual([]);
      expect(placed).toBe(customers);

      // Every event appended to the relayed streams reached the topic (at least once, by ce_id).
      const { rows } = await db.pool.query<{ id: string }>(
        `select event_id::text as id from events where stream_name like any(array['drop-%','visits-%','demand-%','restock-%'])`,
      );
      const appended = new Set(rows.map((r) => r.id));
      expect(appended.size).toBeGreaterThanOrEqual(customers + 2);
      const ceIds = () => new Set(group.received.map((r) => r.message.headers!.ce_id!.toString()));
      await waitFor(
        () => [...appended].every((id) => ceIds().has(id)),
        120_000,
        () => `${[...appended].filter((id) => !ceIds().has(id)).length} of ${appended.size} events not received`,
      );
      expect(ceIds()).toEqual(appended);
      console.log(
        `[chaos] kafka outage: ${outages} × ${outageMs} ms SIGSTOP, ${customers} pre-orders all 201, relay lag peaked at ${maxLags.join(', ')} events and drained, ${appended.size} events all on the topic (${group.received.length} deliveries)`,
      );
    } finally {
      cluster.resume();
      await group.stop();
    }
  }, 600_000);
});
