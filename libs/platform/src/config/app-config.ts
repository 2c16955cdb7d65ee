/** Validated configuration of the engine. Read once at boot; nothing else reads process.env. */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  eventStore: 'pglite' | 'postgres' | 'eventstoredb';
  /** PostgreSQL for the store (with eventStore=postgres) and for the read models in every mode. */
  databaseUrl: string | undefined;
  esdbConnectionString: string | undefined;
  kafkaBrokers: string[];
  /** Kafka fan-out: topics, producer strictness, provisioning layout (docs/messaging.md). */
  kafka: KafkaConfig;
  /** Where fulfillment sends its hand-over commands in server mode. */
  engineUrl: string;
  /** Bearer token fulfillment presents to the engine (once access control lands). */
  engineServiceToken: string | undefined;
  fulfillment: { databaseUrl: string | undefined; port: number; dispatchSlaDays: number };
  analytics: { databaseUrl: string | undefined; port: number };
  run: { scheduler: boolean; projections: boolean; relay: boolean; consumers: boolean };
  commandBatchSize: number;
  /** Events per projection transaction while keeping up with the log (PROJECTION_PAGE_SIZE). */
  projectionPageSize: number;
  /** Events per transaction while a rebuild fills the shadow tables (PROJECTION_REBUILD_PAGE_SIZE). */
  projectionRebuildPageSize: number;
  /** What projections and the relay do at an unknown or corrupted stored event (ON_BAD_EVENT): stall there, or report and skip it. */
  onBadEvent: 'stop' | 'skip';
  storeConnectTimeoutMs: number;
  schedulerIntervalMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** Print the HTTP routes and the data location at startup. */
  quiet: boolean;
  /** Bearer-token verification (docs/security.md). With no key configured the embedded engine uses its development key. */
  jwt: JwtConfig;
}

export interface JwtConfig {
  /** HS256 shared secret (at least 32 characters). */
  secret: string | undefined;
  /** RS256 public key, SPKI PEM. */
  publicKey: string | undefined;
  /** RS256 keys from a JWKS endpoint. */
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
}

export interface KafkaConfig {
  clientId: string;
  /** The drop lifecycle topic, keyed by drop id. */
  topic: string;
  deadLetterTopic: string;
  /** Off only against clusters that cannot grant producer ids (the kcat mock used in tests). */
  idempotentProducer: boolean;
  /** CloudEvents ce_source of the published events. */
  ceSource: string;
  /** Events read and published per relay round. */
  relayBatchSize: number;
  /** Provisioning (`npm run kafka:provision`). */
  partitions: number;
  replicationFactor: number;
  retentionDays: number;
  deadLetterRetentionDays: number;
}

/** A configuration value that stops the process: one line naming the variable. */
export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
  return raw as T;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be an integer (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must start with ${protocols.map((p) => p + '//').join(' or ')}`);
  return raw;
}

/** A Kafka topic or client id: letters, digits, '.', '_' and '-' (what Kafka accepts). */
function name(env: Env, variable: string, fallback: string): string {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(raw)) throw new ConfigError(variable, `must be 1-249 letters, digits, '.', '_' or '-' (got "${raw}")`);
  return raw;
}

/** Builds the configuration from an environment map; throws ConfigError on the first bad value. */
export function loadConfig(env: Env): AppConfig {
  const eventStore = oneOf(env, 'EVENT_STORE', ['pglite', 'postgres', 'eventstoredb'] as const, 'pglite');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const esdbConnectionString = url(env, 'ESDB_CONNECTION_STRING', ['esdb:', 'esdb+discover:', 'kurrentdb:', 'kurrentdb+discover:']);
  if (eventStore === 'postgres' && !databaseUrl) throw new ConfigError('DATABASE_URL', 'is required when EVENT_STORE=postgres');
  if (eventStore === 'eventstoredb' && !esdbConnectionString) throw new ConfigError('ESDB_CONNECTION_STRING', 'is required when EVENT_STORE=eventstoredb');
  const brokers = (env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  for (const b of brokers) if (!/^[A-Za-z0-9.\-_]+:\d{1,5}$/.test(b)) throw new ConfigError('KAFKA_BROKERS', `must be a comma-separated list of host:port (got "${b}")`);
  return {
    nodeEnv: oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development'),
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: env.DATA_DIR || './data',
    eventStore,
    databaseUrl,
    esdbConnectionString,
    kafkaBrokers: brokers,
    kafka: {
      clientId: name(env, 'KAFKA_CLIENT_ID', 'dropline'),
      topic: name(env, 'KAFKA_TOPIC', 'dropline.drop-events.v1'),
      deadLetterTopic: name(env, 'KAFKA_DEAD_LETTER_TOPIC', 'dropline.drop-events.dead-letters.v1'),
      idempotentProducer: bool(env, 'KAFKA_IDEMPOTENT_PRODUCER', true),
      ceSource: env.CE_SOURCE || '/dropline/engine',
      relayBatchSize: int(env, 'RELAY_BATCH_SIZE', 500, 1, 10_000),
      partitions: int(env, 'KAFKA_TOPIC_PARTITIONS', 12, 1, 10_000),
      replicationFactor: int(env, 'KAFKA_REPLICATION_FACTOR', 3, 1, 32),
      retentionDays: int(env, 'KAFKA_RETENTION_DAYS', 30, 0, 36_500),
      deadLetterRetentionDays: int(env, 'KAFKA_DEAD_LETTER_RETENTION_DAYS', 90, 0, 36_500),
    },
    engineUrl: url(env, 'ENGINE_URL', ['http:', 'https:']) ?? 'http://localhost:3000',
    engineServiceToken: env.ENGINE_SERVICE_TOKEN || undefined,
    fulfillment: {
      databaseUrl: url(env, 'FULFILLMENT_DATABASE_URL', ['postgres:', 'postgresql:']) ?? databaseUrl,
      port: int(env, 'FULFILLMENT_PORT', 3001, 0, 65535),
      dispatchSlaDays: int(env, 'FULFILLMENT_DISPATCH_SLA_DAYS', 3, 0, 365),
    },
    analytics: {
      databaseUrl: url(env, 'ANALYTICS_DATABASE_URL', ['postgres:', 'postgresql:']) ?? databaseUrl,
      port: int(env, 'ANALYTICS_PORT', 3002, 0, 65535),
    },
    run: {
      scheduler: bool(env, 'RUN_SCHEDULER', true),
      projections: bool(env, 'RUN_PROJECTIONS', true),
      relay: bool(env, 'RUN_RELAY', true),
      consumers: bool(env, 'RUN_CONSUMERS', true),
    },
    commandBatchSize: int(env, 'COMMAND_BATCH_SIZE', 1000, 1, 10_000),
    projectionPageSize: int(env, 'PROJECTION_PAGE_SIZE', 5000, 1, 100_000),
    projectionRebuildPageSize: int(env, 'PROJECTION_REBUILD_PAGE_SIZE', 50_000, 1, 200_000),
    onBadEvent: oneOf(env, 'ON_BAD_EVENT', ['stop', 'skip'] as const, 'stop'),
    storeConnectTimeoutMs: int(env, 'STORE_CONNECT_TIMEOUT_MS', 2000, 100, 60_000),
    schedulerIntervalMs: int(env, 'SCHEDULER_INTERVAL_MS', 1000, 10, 3_600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const, 'log'),
    quiet: bool(env, 'QUIET', false),
    jwt: jwtConfig(env),
  };
}

function jwtConfig(env: Env): JwtConfig {
  const secret = env.JWT_SECRET || undefined;
  // PEM in an environment variable often arrives with literal \n.
  const publicKey = env.JWT_PUBLIC_KEY ? env.JWT_PUBLIC_KEY.replace(/\\n/g, '\n') : undefined;
  const jwksUrl = url(env, 'JWT_JWKS_URL', ['https:', 'http:']);
  const sources = [secret && 'JWT_SECRET', publicKey && 'JWT_PUBLIC_KEY', jwksUrl && 'JWT_JWKS_URL'].filter(Boolean);
  if (sources.length > 1) throw new ConfigError(String(sources[1]), `cannot be combined with ${sources[0]}: configure one verification key`);
  if (secret !== undefined && secret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
  if (publicKey !== undefined && !/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(publicKey)) {
    throw new ConfigError('JWT_PUBLIC_KEY', 'must be an SPKI PEM public key (-----BEGIN PUBLIC KEY-----)');
  }
  const issuer = env.JWT_ISSUER || undefined;
  const audience = env.JWT_AUDIENCE || undefined;
  if (issuer !== undefined && (issuer.length > 512 || /\s/.test(issuer))) throw new ConfigError('JWT_ISSUER', 'must be a single token without spaces');
  if (audience !== undefined && (audience.length > 512 || /\s/.test(audience))) throw new ConfigError('JWT_AUDIENCE', 'must be a single token without spaces');
  return { secret, publicKey, jwksUrl, issuer, audience };
}

/**
 * For a process entry point: the configuration, or one line naming the bad variable on stderr
 * and exit code 2. `require` adds what that process needs beyond the engine's own rules.
 */
export function loadConfigOrExit(env: Env, require?: (config: AppConfig) => void): AppConfig {
  try {
    const config = loadConfig(env);
    require?.(config);
    return config;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
