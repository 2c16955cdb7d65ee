import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { describeKafka, startPrivateMockCluster, uniqueTopic, waitFor } from '../../../test/support/kafka';
import { sleep, tryFetch } from './support/chaos';
import { EngineProcess, startEngineProcess } from './support/engine-process';
import { bearer } from '../../../libs/platform/src/testing/test-auth';

/**
 * Graceful shutdown with the broker gone: the engine runs the relay and its consumers on a private
 * kcat mock cluster; the test freezes the broker (SIGSTOP: consumers hang mid-request, then
 * rejoin) or kills it (connections refused: consumers crash and retry joining), then sends
 * SIGTERM. The engine must exit 0 well within its 15 s deadline: stopping never waits for a
 * consumer to finish joining or leaving a group it cannot reach.
 */
describeKafka('graceful shutdown with crashed or rebalancing Kafka consumers (chaos)', () => {
  requirePostgres();
  let cluster: Awaited<ReturnType<typeof startPrivateMockCluster>> | undefined;
  let db: TestPostgresDatabase;
  let engine: EngineProcess | undefined;

  beforeEach(async () => {
    cluster = await startPrivateMockCluster();
    db = await createTestPostgresDatabase('chaos_shutdown_kafka');
    engine = await startEngineProcess({
      EVENT_STORE: 'postgres',
      DATABASE_URL: db.url,
      LOG_LEVEL: 'log',
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_TOPIC: uniqueTopic('chaos-shutdown'),
      KAFKA_IDEMPOTENT_PRODUCER: 'false',
    });
    // The consumers have joined their groups before the broker goes away.
    await waitFor(
      async () => {
        const status = (await tryFetch(`${engine!.url}/messaging/status`, { headers: bearer('ops') }))?.body;
        const tasks = ((status?.processors ?? []) as Array<{ name: string; state: string }>).filter((p) =>
          p.name.startsWith('kafka-consumer:'),
        );
        return tasks.length > 0 && tasks.every((t) => t.state === 'running');
      },
      60_000,
      () => 'consumers up before the outage',
    );
  }, 120_000);
  afterEach(async () => {
    cluster?.resume();
    await engine?.stop('SIGKILL');
    cluster?.stop();
    await db?.drop();
  }, 60_000);

  const terminate = async () => {
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      engine!.child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const termAt = Date.now();
    engine!.child.kill('SIGTERM');
    const { code, at } = await exited;
    if (code !== 0) throw new Error(`exit ${code} after ${at - termAt} ms:\n${engine!.output().slice(-4000)}`);
    expect(at - termAt).toBeLessThan(15_000);
    expect(engine!.output()).toContain('stopped cleanly');
    return at - termAt;
  };

  it('exits 0 when SIGTERM comes while the broker is frozen (consumers hanging, then rejoining)', async () => {
    cluster!.pause();
    await sleep(4_000);
    const ms = await terminate();
    console.log(`[chaos] SIGTERM with the broker frozen: exit 0 after ${ms} ms`);
  }, 120_000);

  it('exits 0 when SIGTERM comes after the broker died (consumers crashed, retrying to join)', async () => {
    cluster!.stop();
    cluster = undefined;
    await sleep(4_000);
    const ms = await terminate();
    console.log(`[chaos] SIGTERM with the broker dead: exit 0 after ${ms} ms`);
  }, 120_000);
});
