import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { topicPlan } from '@dropline/messaging';
import { isProduction, loadConfig, setUpAuth } from '@dropline/platform';

/**
 * The README's server-mode steps, checked without a server: infra/engine.env goes through the
 * engine's config loader and auth setup (what made `npm start` exit 2), and what it provisions
 * fits the stack infra/compose.yaml starts.
 */
const root = join(__dirname, '..');

/** The variables of infra/engine.env as `set -a && . infra/engine.env` gives them to the process. */
function engineEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(root, 'infra/engine.env'), 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`infra/engine.env: not NAME=value: ${line}`);
    env[match[1]] = match[2];
  }
  return env;
}

interface ComposeService {
  environment?: Record<string, string>;
  ports?: string[];
}
const compose = parse(readFileSync(join(root, 'infra/compose.yaml'), 'utf8')) as { services: Record<string, ComposeService> };

describe('server mode as the README describes it (infra/engine.env, infra/compose.yaml)', () => {
  it('every value is a plain word, so sourcing the file passes it as written', () => {
    for (const [name, value] of Object.entries(engineEnv()))
      expect({ name, value }).toEqual({ name, value: expect.stringMatching(/^[A-Za-z0-9._:/?=@,+-]+$/) });
  });

  it('loads through the config loader and the auth setup of a server event store, with development JWT settings marked as such', async () => {
    const config = loadConfig(engineEnv());
    expect(config).toMatchObject({
      eventStore: 'eventstoredb',
      esdbConnectionString: 'esdb://localhost:2113?tls=false',
      databaseUrl: 'postgres://dropline:dropline@localhost:5432/dropline',
      kafkaBrokers: ['localhost:9092'],
    });
    // A server store is production for auth: without its own key, issuer and audience the engine exits 2.
    expect(isProduction(config)).toBe(true);
    const auth = await setUpAuth(config);
    expect(auth.dev).toBeUndefined();
    expect(config.jwt.secret).toMatch(/development-only/);
  });

  it('points at the ports and credentials the compose services publish', () => {
    const env = engineEnv();
    const { eventstoredb, kafka, postgres } = compose.services;
    expect(eventstoredb.ports).toContain(`${new URL(env.ESDB_CONNECTION_STRING).port}:2113`);
    expect(kafka.environment!.KAFKA_ADVERTISED_LISTENERS).toContain(`EXTERNAL://${env.KAFKA_BROKERS}`);
    expect(kafka.ports).toContain(`${env.KAFKA_BROKERS.split(':')[1]}:9092`);
    const db = new URL(env.DATABASE_URL);
    expect(postgres.ports).toContain(`${db.port}:5432`);
    expect([db.username, db.password, db.pathname.slice(1)]).toEqual([
      postgres.environment!.POSTGRES_USER,
      postgres.environment!.POSTGRES_PASSWORD,
      postgres.environment!.POSTGRES_DB,
    ]);
  });

  it('provisions topics with a replication factor (and min.insync.replicas) the compose brokers can meet', () => {
    const brokers = Object.values(compose.services).filter((s) => (s.environment?.KAFKA_PROCESS_ROLES ?? '').split(',').includes('broker'));
    expect(brokers.length).toBeGreaterThan(0);
    const { kafka } = loadConfig(engineEnv());
    expect(kafka.replicationFactor).toBeLessThanOrEqual(brokers.length);
    for (const topic of topicPlan(kafka)) {
      expect(topic.replicationFactor).toBeLessThanOrEqual(brokers.length);
      const minInsync = Number(topic.configEntries?.find((c) => c.name === 'min.insync.replicas')?.value);
      expect(minInsync).toBeLessThanOrEqual(brokers.length);
    }
  });
});
