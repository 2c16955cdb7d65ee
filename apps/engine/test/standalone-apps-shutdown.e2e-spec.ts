import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createTestPostgresDatabase, requirePostgres, TestPostgresDatabase } from '../../../test/support/postgres';
import { describeKafka, isMockCluster, kafkaBrokers, uniqueTopic, waitFor } from '../../../test/support/kafka';
import { freePort } from './support/engine-process';
import { mintTestToken, testAuthEnv } from '../../../libs/platform/src/testing/test-auth';

const ROOT = path.resolve(__dirname, '../../..');
const describeIt = requirePostgres() ? describeKafka : describe.skip;
jest.setTimeout(120_000);

/**
 * The apps that run apart from the engine (docs/deployment.md, "Scaling apart") stop on SIGTERM as
 * the engine does: they log it, close (leases released, consumers out of their group, pools
 * ended) and exit 0. Under Nest's enableShutdownHooks they re-raised the signal: exit 143, nothing
 * logged, and the consumer services' own close (supervisor, retention, pool) never ran.
 */
describeIt('standalone apps on SIGTERM (built apps)', () => {
  let db: TestPostgresDatabase;
  const topic = uniqueTopic('shutdown');

  beforeAll(async () => {
    db = await createTestPostgresDatabase('apps_shutdown');
  });
  afterAll(async () => {
    await db?.drop();
  });

  async function env(): Promise<Record<string, string>> {
    return {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
      LOG_FORMAT: 'json',
      ...testAuthEnv(),
      EVENT_STORE: 'postgres',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: kafkaBrokers()!.join(','),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_PREFIX: `${topic}.`,
      KAFKA_IDEMPOTENT_PRODUCER: String(!isMockCluster()),
      PORT: String(await freePort()),
      FULFILLMENT_PORT: String(await freePort()),
      ANALYTICS_PORT: String(await freePort()),
      ENGINE_URL: 'http://127.0.0.1:9',
      ENGINE_SERVICE_TOKEN: mintTestToken('service', 'svc-fulfillment'),
    };
  }

  it.each([
    ['projector', 'listening on port'],
    ['relay', 'relaying the event store'],
    ['fulfillment', 'consuming'],
    ['analytics', 'consuming'],
  ])('%s logs the signal, stops cleanly and exits 0', async (app, ready) => {
    const main = path.join(ROOT, `dist/apps/${app}/src/main.js`);
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
    let out = '';
    const variables = await env();
    const child: ChildProcess = spawn(process.execPath, [main], { cwd: ROOT, env: variables, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await waitFor(
        () => out.includes(ready) || child.exitCode !== null,
        60_000,
        () => `${app} never logged "${ready}":\n${out}`,
      );
      if (child.exitCode !== null) throw new Error(`${app} exited ${child.exitCode} at start:\n${out}`);
      // Every app but the relay serves HTTP: live and ready (its database answers, Kafka is reachable).
      const port = { projector: variables.PORT, fulfillment: variables.FULFILLMENT_PORT, analytics: variables.ANALYTICS_PORT }[app];
      if (port) {
        for (const probe of ['live', 'ready']) {
          const answer = await fetch(`http://127.0.0.1:${port}/health/${probe}`);
          expect({ probe, status: answer.status, body: ((await answer.json()) as { status: string }).status }).toEqual({
            probe,
            status: 200,
            body: 'ok',
          });
        }
      }
      if (app === 'projector') {
        // The engine's read-model routes, with the engine's tokens and role matrix.
        const admin = `http://127.0.0.1:${variables.PORT}/admin/projections`;
        const anonymous = await fetch(admin);
        expect([anonymous.status, ((await anonymous.json()) as { code: string }).code]).toEqual([401, 'AUTH.UNAUTHENTICATED']);
        const customer = await fetch(`http://127.0.0.1:${variables.PORT}/customers/ana/pre-orders`, {
          headers: { authorization: `Bearer ${mintTestToken('customer', 'bo')}` },
        });
        expect(customer.status).toBe(403);
        expect((await fetch(admin, { headers: { authorization: `Bearer ${mintTestToken('ops', 'ops-1')}` } })).status).toBe(200);
      }
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(out).toContain('SIGTERM received: draining and shutting down');
      expect(out).toContain('stopped cleanly');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('fulfillment with no broker and then no database: ready answers 503 naming what is down, and it still stops cleanly', async () => {
    const own = await createTestPostgresDatabase('apps_shutdown_ff');
    const refused = await freePort();
    const variables: Record<string, string> = { ...(await env()), DATABASE_URL: own.url, KAFKA_BROKERS: `127.0.0.1:${refused}` };
    let out = '';
    const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'dist/apps/fulfillment/src/main.js')], {
      cwd: ROOT,
      env: variables,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = async () => {
      const answer = await fetch(`http://127.0.0.1:${variables.FULFILLMENT_PORT}/health/ready`);
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    };
    try {
      await waitFor(
        () => out.includes('consuming') || child.exitCode !== null,
        60_000,
        () => `fulfillment never started:\n${out}`,
      );
      expect(await ready()).toMatchObject({
        status: 503,
        body: { code: 'HEALTH.NOT_READY', checks: { database: { status: 'up' }, kafka: { status: 'down', message: expect.any(String) } } },
      });
      await own.drop();
      expect(await ready()).toMatchObject({
        status: 503,
        body: { checks: { database: { status: 'down' }, kafka: { status: 'down' } } },
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('stopped cleanly');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await own.drop().catch(() => undefined);
    }
  });
});
