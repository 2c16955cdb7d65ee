import { ConfigError } from './config-error';
import { type Env, type EnvironmentVariables, validateEnvironment } from './environment';

export { ConfigError } from './config-error';

/**
 * Validated configuration of the engine, mapped from the schema (environment.ts, the only file
 * that reads process.env). Read once at boot by the entry point.
 */
export interface AppConfig {
  nodeEnv: EnvironmentVariables['NODE_ENV'];
  port: number;
  host: string;
  /** Prometheus metrics (METRICS_ENABLED) and their token-free listener (METRICS_PORT, METRICS_HOST; port undefined = none). */
  metrics: { enabled: boolean; port: number | undefined; host: string };
  dataDir: string;
  eventStore: EnvironmentVariables['EVENT_STORE'];
  /** PostgreSQL for the store (with eventStore=postgres) and for the read models in every mode. */
  databaseUrl: string | undefined;
  esdbConnectionString: string | undefined;
  /** How long an EventStoreDB call waits for the server before StoreUnavailableError (ESDB_DEADLINE_MS). */
  esdbDeadlineMs: number;
  kafkaBrokers: string[];
  /** Kafka fan-out: topics, producer strictness, provisioning layout (docs/messaging.md). */
  kafka: KafkaConfig;
  /** Where fulfillment sends its hand-over commands in server mode. */
  /** Days a consumer keeps a dead letter once redriven or dismissed; 0 keeps them forever. */
  deadLetterRetentionDays: number;
  engineUrl: string;
  /** Bearer token fulfillment presents to the engine (once access control lands). */
  engineServiceToken: string | undefined;
  /** apps/relay's HTTP port (its health routes). */
  relay: { port: number };
  fulfillment: { databaseUrl: string | undefined; port: number; dispatchSlaDays: number };
  analytics: { databaseUrl: string | undefined; port: number };
  run: { scheduler: boolean; projections: boolean; relay: boolean; consumers: boolean };
  commandBatchSize: number;
  /** Most bytes one append may carry (EVENT_STORE_MAX_APPEND_BYTES); undefined = the store's own default (1 MiB on EventStoreDB, 16 MiB on PostgreSQL/PGlite). */
  eventStoreMaxAppendBytes: number | undefined;
  /** Events per projection transaction while keeping up with the log (PROJECTION_PAGE_SIZE). */
  projectionPageSize: number;
  /** Events per transaction while a rebuild fills the shadow tables (PROJECTION_REBUILD_PAGE_SIZE). */
  projectionRebuildPageSize: number;
  /** What projections and the relay do at an unknown or corrupted stored event (ON_BAD_EVENT): stall there, or report and skip it. */
  onBadEvent: EnvironmentVariables['ON_BAD_EVENT'];
  storeConnectTimeoutMs: number;
  /** PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: set on every PostgreSQL connection of the process (0: the server's setting). */
  pgIdleInTransactionTimeoutMs: number;
  /** When /health/ready fails on a reader's lag (READY_MAX_LAG_SECONDS, READY_MAX_LAG_EVENTS). */
  readiness: { maxLagSeconds: number; maxLagEvents: number };
  schedulerIntervalMs: number;
  /** Leases of the work that runs once (LEASE_STORE resolved, SINGLE_INSTANCE, LEASE_TTL_MS; docs/architecture.md). */
  lease: LeaseConfig;
  logLevel: EnvironmentVariables['LOG_LEVEL'];
  /** LOG_FORMAT: `auto` is pretty on a terminal, JSON otherwise (docs/operations.md). */
  logFormat: EnvironmentVariables['LOG_FORMAT'];
  /** LOG_ROUTES: Nest's route table at start. */
  logRoutes: boolean;
  /** Bearer-token verification (docs/security.md). With no key configured the embedded engine uses its development key. */
  jwt: JwtConfig;
  /** The HTTP edge: trusted proxies, rate limits, connection cap and timeouts (docs/security.md, "Limits"). */
  http: HttpEdgeConfig;
}

export interface HttpEdgeConfig {
  /** Proxies whose X-Forwarded-For names the client (TRUSTED_PROXIES); empty = the socket address is the client. */
  trustedProxies: string[];
  rateLimit: {
    enabled: boolean;
    windowMs: number;
    /** Per client address, requests without a token. */
    anonymous: number;
    /** Per verified token subject. */
    authenticated: number;
    /** Per client address, requests whose token does not verify. */
    authFailures: number;
  };
  /** HTTP_MAX_CONNECTIONS; undefined = sized from the open-files limit when the server starts (http/edge.ts). */
  maxConnections: number | undefined;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** 0 = no limit. */
  maxRequestsPerSocket: number;
}

export interface LeaseConfig {
  /** The lease store in effect: LEASE_STORE, or what `auto` resolved to. */
  store: 'database' | 'event-store' | 'process';
  /** What LEASE_STORE said (`auto` or a forced store). */
  requested: EnvironmentVariables['LEASE_STORE'];
  singleInstance: boolean;
  /** Event-store leases: holding time without renewal. */
  ttlMs: number;
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
  /** Put before each consumer group id (the handler's name). */
  groupPrefix: string;
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

/** Builds the configuration from an environment map (validated by the schema); throws ConfigError on the first bad value. */
export function loadConfig(env: Env): AppConfig {
  const v = validateEnvironment(env);
  const eventStore = v.EVENT_STORE;
  const databaseUrl = v.DATABASE_URL;
  if (eventStore === 'postgres' && !databaseUrl) throw new ConfigError('DATABASE_URL', 'is required when EVENT_STORE=postgres');
  if (eventStore === 'eventstoredb' && !v.ESDB_CONNECTION_STRING)
    throw new ConfigError('ESDB_CONNECTION_STRING', 'is required when EVENT_STORE=eventstoredb');
  // Shorter than a second would end healthy sessions whose next statement waits on a busy event loop.
  if (v.PG_IDLE_IN_TRANSACTION_TIMEOUT_MS > 0 && v.PG_IDLE_IN_TRANSACTION_TIMEOUT_MS < 1_000)
    throw new ConfigError(
      'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      `must be 0 (the server's setting) or at least 1000 (got ${v.PG_IDLE_IN_TRANSACTION_TIMEOUT_MS})`,
    );
  return {
    nodeEnv: v.NODE_ENV,
    port: v.PORT,
    metrics: { enabled: v.METRICS_ENABLED, port: v.METRICS_PORT, host: v.METRICS_HOST },
    host: v.HOST,
    dataDir: v.DATA_DIR,
    eventStore,
    databaseUrl,
    esdbConnectionString: v.ESDB_CONNECTION_STRING,
    esdbDeadlineMs: v.ESDB_DEADLINE_MS,
    kafkaBrokers: v.KAFKA_BROKERS,
    kafka: {
      clientId: v.KAFKA_CLIENT_ID,
      topic: v.KAFKA_TOPIC,
      deadLetterTopic: v.KAFKA_DEAD_LETTER_TOPIC,
      groupPrefix: v.KAFKA_GROUP_PREFIX ?? '',
      idempotentProducer: v.KAFKA_IDEMPOTENT_PRODUCER,
      ceSource: v.CE_SOURCE,
      relayBatchSize: v.RELAY_BATCH_SIZE,
      partitions: v.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: v.KAFKA_REPLICATION_FACTOR,
      retentionDays: v.KAFKA_RETENTION_DAYS,
      deadLetterRetentionDays: v.KAFKA_DEAD_LETTER_RETENTION_DAYS,
    },
    deadLetterRetentionDays: v.DEAD_LETTER_RETENTION_DAYS,
    engineUrl: v.ENGINE_URL,
    engineServiceToken: v.ENGINE_SERVICE_TOKEN,
    relay: { port: v.RELAY_PORT },
    fulfillment: {
      databaseUrl: v.FULFILLMENT_DATABASE_URL ?? databaseUrl,
      port: v.FULFILLMENT_PORT,
      dispatchSlaDays: v.FULFILLMENT_DISPATCH_SLA_DAYS,
    },
    analytics: {
      databaseUrl: v.ANALYTICS_DATABASE_URL ?? databaseUrl,
      port: v.ANALYTICS_PORT,
    },
    run: {
      scheduler: v.RUN_SCHEDULER,
      projections: v.RUN_PROJECTIONS,
      relay: v.RUN_RELAY,
      consumers: v.RUN_CONSUMERS,
    },
    commandBatchSize: v.COMMAND_BATCH_SIZE,
    eventStoreMaxAppendBytes: v.EVENT_STORE_MAX_APPEND_BYTES,
    projectionPageSize: v.PROJECTION_PAGE_SIZE,
    projectionRebuildPageSize: v.PROJECTION_REBUILD_PAGE_SIZE,
    onBadEvent: v.ON_BAD_EVENT,
    storeConnectTimeoutMs: v.STORE_CONNECT_TIMEOUT_MS,
    pgIdleInTransactionTimeoutMs: v.PG_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    readiness: { maxLagSeconds: v.READY_MAX_LAG_SECONDS, maxLagEvents: v.READY_MAX_LAG_EVENTS },
    schedulerIntervalMs: v.SCHEDULER_INTERVAL_MS,
    lease: leaseConfig(v),
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT,
    logRoutes: v.LOG_ROUTES,
    jwt: jwtConfig(v),
    http: httpEdgeConfig(v),
  };
}

/**
 * LEASE_STORE=auto: PostgreSQL advisory locks wherever DATABASE_URL is set (as before), the process on
 * embedded PGlite (its data directory is locked to one process), else (EventStoreDB without
 * DATABASE_URL) a lease stream in the event store, unless the operator declared SINGLE_INSTANCE.
 * A forced value is checked against what it needs; `process` on a server event store is refused
 * without SINGLE_INSTANCE=true: two instances would each run every leased worker.
 */
function leaseConfig(v: EnvironmentVariables): LeaseConfig {
  const requested = v.LEASE_STORE;
  const embedded = v.EVENT_STORE === 'pglite';
  let store: LeaseConfig['store'];
  if (requested === 'auto') store = v.DATABASE_URL ? 'database' : embedded || v.SINGLE_INSTANCE ? 'process' : 'event-store';
  else store = requested;
  if (store === 'database' && !v.DATABASE_URL)
    throw new ConfigError('LEASE_STORE', 'database needs DATABASE_URL (advisory locks are taken in PostgreSQL)');
  if (store === 'process' && !embedded && !v.SINGLE_INSTANCE)
    throw new ConfigError(
      'LEASE_STORE',
      `process keeps leases in one process: with EVENT_STORE=${v.EVENT_STORE} set SINGLE_INSTANCE=true to promise there is only one instance`,
    );
  return { store, requested, singleInstance: v.SINGLE_INSTANCE, ttlMs: v.LEASE_TTL_MS };
}

function httpEdgeConfig(v: EnvironmentVariables): HttpEdgeConfig {
  if (v.HTTP_HEADERS_TIMEOUT_MS > v.HTTP_REQUEST_TIMEOUT_MS)
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${v.HTTP_REQUEST_TIMEOUT_MS})`);
  return {
    trustedProxies: v.TRUSTED_PROXIES,
    rateLimit: {
      enabled: v.RATE_LIMIT_ENABLED,
      windowMs: v.RATE_LIMIT_WINDOW_MS,
      anonymous: v.RATE_LIMIT_ANONYMOUS,
      authenticated: v.RATE_LIMIT_AUTHENTICATED,
      authFailures: v.RATE_LIMIT_AUTH_FAILURES,
    },
    maxConnections: v.HTTP_MAX_CONNECTIONS,
    headersTimeoutMs: v.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: v.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: v.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxRequestsPerSocket: v.HTTP_MAX_REQUESTS_PER_SOCKET,
  };
}

/** Exactly one verification key source (each value is checked by the schema). */
function jwtConfig(v: EnvironmentVariables): JwtConfig {
  const { JWT_SECRET: secret, JWT_PUBLIC_KEY: publicKey, JWT_JWKS_URL: jwksUrl } = v;
  const sources = [secret && 'JWT_SECRET', publicKey && 'JWT_PUBLIC_KEY', jwksUrl && 'JWT_JWKS_URL'].filter(Boolean);
  if (sources.length > 1)
    throw new ConfigError(String(sources[1]), `cannot be combined with ${sources[0]}: configure one verification key`);
  return { secret, publicKey, jwksUrl, issuer: v.JWT_ISSUER, audience: v.JWT_AUDIENCE };
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
