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
  run: { scheduler: boolean; projections: boolean; relay: boolean; consumers: boolean };
  commandBatchSize: number;
  storeConnectTimeoutMs: number;
  schedulerIntervalMs: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** Print the HTTP routes and the data location at startup. */
  quiet: boolean;
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
    run: {
      scheduler: bool(env, 'RUN_SCHEDULER', true),
      projections: bool(env, 'RUN_PROJECTIONS', true),
      relay: bool(env, 'RUN_RELAY', true),
      consumers: bool(env, 'RUN_CONSUMERS', true),
    },
    commandBatchSize: int(env, 'COMMAND_BATCH_SIZE', 1000, 1, 10_000),
    storeConnectTimeoutMs: int(env, 'STORE_CONNECT_TIMEOUT_MS', 2000, 100, 60_000),
    schedulerIntervalMs: int(env, 'SCHEDULER_INTERVAL_MS', 1000, 10, 3_600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['error', 'warn', 'log', 'debug'] as const, 'log'),
    quiet: bool(env, 'QUIET', false),
  };
}
