import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
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
/** The BUILT app as its own OS process, its output collected; started when `started` is in it. */
function startApp(app: string, variables: Record<string, string>, started: string) {
  const main = path.join(ROOT, `dist/apps/${app}/src/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [main], { cwd: ROOT, env: variables, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const output = () => out;
  return {
    child,
    output,
    exited,
    async started(): Promise<void> {
      await waitFor(
        () => out.includes(started) || child.exitCode !== null,
        60_000,
        () => `${app} never logged "${started}":\n${out}`,
      );
      if (child.exitCode !== null) throw new Error(`${app} exited ${child.exitCode} at start:\n${out}`);
    },
    /** GET /health/<name> on `port`: its status and JSON body. */
    async health(port: string, name: 'live' | 'ready') {
      const answer = await fetch(`http://127.0.0.1:${port}/health/${name}`);
      return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
    },
    kill(): void {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Sessions on `pool`'s database with this application_name. */
async function sessionsNamed(pool: Pool, name: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1',
    [name],
  );
  return rows[0]!.n;
}

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
      RELAY_PORT: String(await freePort()),
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
    const variables = await env();
    const running = startApp(app, variables, ready);
    const { child, exited } = running;
    const out = running.output;
    try {
      await running.started();
      // Every app serves its health: live and ready (its database answers, Kafka is reachable).
      const port = {
        projector: variables.PORT,
        relay: variables.RELAY_PORT,
        fulfillment: variables.FULFILLMENT_PORT,
        analytics: variables.ANALYTICS_PORT,
      }[app]!;
      for (const probe of ['live', 'ready'] as const)
        expect({ probe, ...(await running.health(port, probe)) }).toMatchObject({ probe, status: 200, body: { status: 'ok' } });
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
      expect(out()).toContain('SIGTERM received: draining and shutting down');
      expect(out()).toContain('stopped cleanly');
    } finally {
      running.kill();
    }
  });

  it('relay with no broker: live, ready answers 503 naming Kafka, and it still stops cleanly', async () => {
    const variables: Record<string, string> = { ...(await env()), KAFKA_BROKERS: `127.0.0.1:${await freePort()}` };
    const relay = startApp('relay', variables, 'relaying the event store');
    try {
      await relay.started();
      expect(await relay.health(variables.RELAY_PORT!, 'live')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect(await relay.health(variables.RELAY_PORT!, 'ready')).toMatchObject({
        status: 503,
        body: { code: 'HEALTH.NOT_READY', checks: { database: { status: 'up' }, kafka: { status: 'down', message: expect.any(String) } } },
      });
      // Nothing else is served there.
      expect((await fetch(`http://127.0.0.1:${variables.RELAY_PORT}/metrics`)).status).toBe(404);
      // Its sessions are named in pg_stat_activity (and in the give-way lines' lock holders).
      expect(await sessionsNamed(db.pool, 'dropline-relay')).toBeGreaterThan(0);
      relay.child.kill('SIGTERM');
      expect((await relay.exited).code).toBe(0);
      expect(relay.output()).toContain('stopped cleanly');
    } finally {
      relay.kill();
    }
  });

  it('fulfillment with no broker and then no database: ready answers 503 naming what is down, and it still stops cleanly', async () => {
    const own = await createTestPostgresDatabase('apps_shutdown_ff');
    const refused = await freePort();
    const variables: Record<string, string> = { ...(await env()), DATABASE_URL: own.url, KAFKA_BROKERS: `127.0.0.1:${refused}` };
    const fulfillment = startApp('fulfillment', variables, 'consuming');
    const ready = () => fulfillment.health(variables.FULFILLMENT_PORT!, 'ready');
    try {
      await fulfillment.started();
      expect(await sessionsNamed(own.pool, 'dropline-fulfillment')).toBeGreaterThan(0);
      expect(await ready()).toMatchObject({
        status: 503,
        body: { code: 'HEALTH.NOT_READY', checks: { database: { status: 'up' }, kafka: { status: 'down', message: expect.any(String) } } },
      });
      await own.drop();
      expect(await ready()).toMatchObject({
        status: 503,
        body: { checks: { database: { status: 'down' }, kafka: { status: 'down' } } },
      });
      fulfillment.child.kill('SIGTERM');
      expect((await fulfillment.exited).code).toBe(0);
      expect(fulfillment.output()).toContain('stopped cleanly');
    } finally {
      fulfillment.kill();
      await own.drop().catch(() => undefined);
    }
  });
});
