import { isIP } from 'node:net';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  ValidationArguments,
  validateSync,
} from 'class-validator';
import type { QueryOptions } from '@eventstore/db-client/dist/Client/parseConnectionString';
import { ConfigError } from './config-error';

/**
 * The one configuration schema: one property per environment variable, with its default (the
 * initializer), its conversion (class-transformer), its validation messages (class-validator) and
 * its description (@Describe, rendered into the README's configuration table by config-table.ts).
 * readEnvironment() below is the only code that reads process.env.
 */

export type Env = Record<string, string | undefined>;

/** What the README's configuration table shows for one variable. */
export interface VariableDoc {
  name: string;
  description: string;
  /** Shown instead of the initializer when the effective default comes from elsewhere (another variable, a file). */
  shownDefault?: string;
}

const DOCS: VariableDoc[] = [];

/** Documents a variable; the order of the class is the order of the README table. */
function Describe(description: string, shownDefault?: string): PropertyDecorator {
  return (_target, key) => void DOCS.push({ name: String(key), description, ...(shownDefault === undefined ? {} : { shownDefault }) });
}

/** Applies decorators in the order given: with stopAtFirstError the first failing one names the problem. */
function all(...decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((decorate) => decorate(target, key));
}

/** A whole number between min and max; only digits convert, so "1e3", "0x10" and " 8" stay strings and fail. */
function Integer(min: number, max: number): PropertyDecorator {
  const range = ({ value }: ValidationArguments) => `must be between ${min} and ${max} (got ${value})`;
  return all(
    Transform(({ value }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value)),
    IsInt({ message: ({ value }) => `must be an integer (got "${value}")` }),
    Min(min, { message: range }),
    Max(max, { message: range }),
  );
}

const TRUE = ['true', '1', 'yes'];
const FALSE = ['false', '0', 'no'];

/** true/false (also 1/0 and yes/no). */
function Flag(): PropertyDecorator {
  return all(
    Transform(({ value }) => (TRUE.includes(value) ? true : FALSE.includes(value) ? false : value)),
    IsBoolean({ message: ({ value }) => `must be true or false (got "${value}")` }),
  );
}

function OneOf(allowed: readonly string[]): PropertyDecorator {
  return IsIn(allowed, { message: ({ value }) => `must be one of ${allowed.join(', ')} (got "${value}")` });
}

function parseUrl(value: unknown): URL | undefined {
  try {
    return new URL(String(value));
  } catch {
    return undefined;
  }
}

/** A URL with one of the given protocols (e.g. 'postgres:'). */
function Url(protocols: string[]): PropertyDecorator {
  return ValidateBy({
    name: 'isUrlWith',
    constraints: protocols,
    validator: {
      validate: (value) => protocols.includes(parseUrl(value)?.protocol ?? ''),
      defaultMessage: (args) =>
        parseUrl(args?.value) ? `must start with ${protocols.map((p) => p + '//').join(' or ')}` : 'is not a valid URL',
    },
  });
}

/** The options @eventstore/db-client 6.2.1 reads from a connection string (typed against its parser's), flat-cased as it compares them. */
const ESDB_OPTIONS: Record<keyof QueryOptions | 'dnsDiscover', true> = {
  userCertFile: true,
  userKeyFile: true,
  maxDiscoverAttempts: true,
  connectionName: true,
  defaultDeadline: true,
  discoveryInterval: true,
  gossipTimeout: true,
  nodePreference: true,
  tls: true,
  tlsVerifyCert: true,
  tlsCAFile: true,
  throwOnAppendFailure: true,
  keepAliveInterval: true,
  keepAliveTimeout: true,
  dnsDiscover: true,
};
const flatCase = (key: string) => key.trim().toLowerCase().replace(/[_-]/g, '');
const ESDB_OPTION_KEYS = new Set(Object.keys(ESDB_OPTIONS).map(flatCase));
const ESDB_EXAMPLES = 'esdb://host:2113?tls=false, esdb://a:2113,b:2113,c:2113?nodePreference=leader or esdb+discover://cluster.dns:2113';

/**
 * What is wrong with an EventStoreDB connection string, by the client's own parser (which also
 * reads gossip seed lists, where `new URL()` fails), or undefined. Stricter than the client in
 * one way: an option it does not know is refused, where the client would warn and ignore it.
 * The value is not echoed: it may carry credentials.
 */
function loadConnectionStringParser(): typeof import('@eventstore/db-client/dist/Client/parseConnectionString') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when a connection string is checked
  return require('@eventstore/db-client/dist/Client/parseConnectionString') as typeof import('@eventstore/db-client/dist/Client/parseConnectionString');
}

function esdbConnectionStringProblem(value: string): string | undefined {
  if (/^kurrentdb(\+discover)?:\/\//i.test(value.trim())) {
    return `uses kurrentdb://, which @eventstore/db-client 6.2.1 refuses: use ${ESDB_EXAMPLES}`;
  }
  // Before parsing: the parser would print a warning for an unknown option and carry on.
  const afterCredentials = value
    .trim()
    .replace(/^[^:]+:\/\//, '')
    .replace(/^[^:]+:[^@]+@/, '');
  const query = afterCredentials.includes('?') ? afterCredentials.slice(afterCredentials.indexOf('?') + 1) : '';
  const unknown = query
    .split('&')
    .map((pair) => pair.split('=')[0])
    .find((key) => key.trim() !== '' && !ESDB_OPTION_KEYS.has(flatCase(key)));
  if (unknown !== undefined) return `has an option the EventStoreDB client does not know: "${unknown.trim()}"`;
  try {
    // Loaded only to check a connection string: the parser brings ~100 modules of the client (~110 ms of every start).
    const { parseConnectionString } = loadConnectionStringParser();
    parseConnectionString(value);
    return undefined;
  } catch (e) {
    const { location, expected } = e as { location?: [number, number]; expected?: string };
    const where = location && expected ? ` (at position ${location[0]}: expected ${expected})` : '';
    return `is not an EventStoreDB connection string${where}; e.g. ${ESDB_EXAMPLES}`;
  }
}

/** An `esdb://` or `esdb+discover://` connection string the client accepts. */
function EsdbConnectionString(): PropertyDecorator {
  return ValidateBy({
    name: 'isEsdbConnectionString',
    validator: {
      validate: (value) => typeof value === 'string' && esdbConnectionStringProblem(value) === undefined,
      defaultMessage: (args) => esdbConnectionStringProblem(String(args?.value)) ?? 'is invalid',
    },
  });
}

/** A Kafka topic or client id: letters, digits, '.', '_' and '-' (what Kafka accepts). */
function KafkaName(): PropertyDecorator {
  return Matches(/^[A-Za-z0-9._-]{1,249}$/, { message: ({ value }) => `must be 1-249 letters, digits, '.', '_' or '-' (got "${value}")` });
}

const BROKER = /^[A-Za-z0-9.\-_]+:\d{1,5}$/;

/** `a:9092, b:9093` → ['a:9092', 'b:9093']. */
function BrokerList(): PropertyDecorator {
  return all(
    Transform(({ value }) =>
      String(value)
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),
    ValidateBy({
      name: 'isBrokerList',
      validator: {
        validate: (value) => Array.isArray(value) && value.every((b) => BROKER.test(b)),
        defaultMessage: (args) =>
          `must be a comma-separated list of host:port (got "${(args?.value as string[]).find((b) => !BROKER.test(b))}")`,
      },
    }),
  );
}

/** `10.0.0.0/8, 127.0.0.1, ::1` → ['10.0.0.0/8', '127.0.0.1', '::1'] (IPv4 or IPv6, with an optional prefix length). */
function AddressList(): PropertyDecorator {
  const address = (a: string) => {
    const [ip, prefix, ...rest] = a.split('/');
    if (rest.length > 0 || isIP(ip) === 0) return false;
    if (prefix === undefined) return true;
    return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(ip) === 4 ? 32 : 128);
  };
  return all(
    Transform(({ value }) =>
      String(value)
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
    ),
    ValidateBy({
      name: 'isAddressList',
      validator: {
        validate: (value) => Array.isArray(value) && value.every(address),
        defaultMessage: (args) =>
          `must be a comma-separated list of IP addresses or CIDR ranges (got "${(args?.value as string[]).find((a) => !address(a))}")`,
      },
    }),
  );
}

/** A JWT claim value (issuer, audience). */
function ClaimValue(): PropertyDecorator {
  return Matches(/^\S{1,512}$/, { message: 'must be a single token without spaces' });
}

const EVENT_STORES = ['pglite', 'postgres', 'eventstoredb'] as const;
const NODE_ENVS = ['development', 'production', 'test'] as const;
const LOG_LEVELS = ['error', 'warn', 'log', 'debug'] as const;
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
const BAD_EVENT_POLICIES = ['stop', 'skip'] as const;
const LEASE_STORES = ['auto', 'database', 'event-store', 'process'] as const;
const POSTGRES = ['postgres:', 'postgresql:'];

/** The samplers OTEL_TRACES_SAMPLER may name (the OpenTelemetry specification's names). */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TraceSamplerName = (typeof TRACE_SAMPLERS)[number];

/** The OTLP/HTTP encodings OTEL_EXPORTER_OTLP_PROTOCOL may name (the specification's names; gRPC is not offered). */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** A ratio between 0 and 1 (e.g. `0.25`). */
function Ratio(): PropertyDecorator {
  return all(
    Transform(({ value }) => (typeof value === 'string' && /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(value) ? Number(value) : value)),
    ValidateBy({
      name: 'ratio',
      validator: {
        validate: (value) => typeof value === 'number',
        defaultMessage: (args) => `must be a number between 0 and 1 (got "${args?.value}")`,
      },
    }),
  );
}

export class EnvironmentVariables {
  @Describe('HTTP listener port')
  @Integer(0, 65_535)
  PORT: number = 3000;

  @Describe('HTTP listener address')
  @IsString()
  HOST: string = '0.0.0.0';

  @Describe('Prometheus metrics (`GET /metrics`, the counters on the command path); `false` turns them off, e.g. to measure their cost')
  @Flag()
  METRICS_ENABLED: boolean = true;

  @Describe(
    'port of a separate listener that serves `GET /metrics` (Prometheus) without a token; unset = metrics only on `PORT`, for the `ops` or `metrics` role ([operations](docs/operations.md#metrics))',
  )
  @IsOptional()
  @Integer(0, 65_535)
  METRICS_PORT?: number;

  @Describe('address of the `METRICS_PORT` listener: keep it on a private interface')
  @IsString()
  METRICS_HOST: string = '127.0.0.1';

  @Describe(
    'addresses or CIDR ranges of the reverse proxies in front of the engine, comma-separated (e.g. `10.0.0.0/8,127.0.0.1`): only a request arriving from one of them has its client address taken from `X-Forwarded-For` (Fastify `trustProxy`); empty = the socket address is the client ([security](docs/security.md#rate-limits))',
  )
  @AddressList()
  TRUSTED_PROXIES: string[] = [];

  @Describe('rate limits on the HTTP API (429 `RATE.LIMITED` with `Retry-After`); `false` only behind a gateway that limits instead')
  @Flag()
  RATE_LIMIT_ENABLED: boolean = true;

  @Describe('the window every rate limit counts in')
  @Integer(1000, 3_600_000)
  RATE_LIMIT_WINDOW_MS: number = 60_000;

  @Describe('requests per window from one client address without a token')
  @Integer(1, 100_000_000)
  RATE_LIMIT_ANONYMOUS: number = 1200;

  @Describe(
    'requests per window per verified token subject (`sub`), whatever the address: 256 buyers behind one address each have their own',
  )
  @Integer(1, 100_000_000)
  RATE_LIMIT_AUTHENTICATED: number = 6000;

  @Describe('requests per window from one client address carrying a token that does not verify (bad, expired, malformed)')
  @Integer(1, 100_000_000)
  RATE_LIMIT_AUTH_FAILURES: number = 30;

  @Describe(
    'most open HTTP connections; one more is closed as soon as it is accepted (Node `server.maxConnections`)',
    "¾ of the process's open-files limit less 100 (1000 where the limit cannot be read)",
  )
  @IsOptional()
  @Integer(1, 10_000_000)
  HTTP_MAX_CONNECTIONS?: number;

  @Describe('time a client has to send the request line and headers before its connection is closed (408)')
  @Integer(1000, 600_000)
  HTTP_HEADERS_TIMEOUT_MS: number = 10_000;

  @Describe('time a client has to send the whole request, body included, before its connection is closed (408)')
  @Integer(1000, 3_600_000)
  HTTP_REQUEST_TIMEOUT_MS: number = 30_000;

  @Describe("how long an idle kept-alive connection stays open (above a load balancer's idle timeout, e.g. 60 s on AWS ALB)")
  @Integer(1000, 600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS: number = 72_000;

  @Describe('requests one kept-alive connection may carry before the engine closes it (`0` = no limit)')
  @Integer(0, 10_000_000)
  HTTP_MAX_REQUESTS_PER_SOCKET: number = 10_000;

  @Describe('embedded PGlite data (locked to one process)')
  @IsString()
  DATA_DIR: string = './data';

  @Describe('`pglite` (embedded), `postgres` (needs `DATABASE_URL`), `eventstoredb` (needs `ESDB_CONNECTION_STRING`)')
  @OneOf(EVENT_STORES)
  EVENT_STORE: (typeof EVENT_STORES)[number] = 'pglite';

  @Describe(
    'PostgreSQL for the event store (with `postgres`) and for the read models in every mode; without it the read models live in PGlite',
  )
  @IsOptional()
  @Url(POSTGRES)
  DATABASE_URL?: string;

  @Describe(
    "e.g. `esdb://localhost:2113?tls=false`; a cluster by gossip seeds `esdb://es1:2113,es2:2113,es3:2113?nodePreference=leader` or by DNS `esdb+discover://cluster.internal:2113?nodePreference=leader` (checked by the client's own parser)",
  )
  @IsOptional()
  @EsdbConnectionString()
  ESDB_CONNECTION_STRING?: string;

  @Describe(
    'how long an EventStoreDB call waits for the server (an append for its answer, a read for its next event, a subscription for its confirmation) before it fails as 503 `STORE.UNAVAILABLE`',
  )
  @Integer(100, 600_000)
  ESDB_DEADLINE_MS: number = 5000;

  @Describe('comma-separated `host:port`; enables Kafka fan-out')
  @BrokerList()
  KAFKA_BROKERS: string[] = [];

  @Describe('run the scheduler (due drop transitions) inside the engine')
  @Flag()
  RUN_SCHEDULER: boolean = true;

  @Describe('run the projections and the restock reactor inside the engine; set `false` when apps/projector runs them')
  @Flag()
  RUN_PROJECTIONS: boolean = true;

  @Describe('run the Kafka relay inside the engine; set `false` when apps/relay runs it')
  @Flag()
  RUN_RELAY: boolean = true;

  @Describe('run the fulfillment and analytics consumers inside the engine; set `false` when apps/fulfillment and apps/analytics run them')
  @Flag()
  RUN_CONSUMERS: boolean = true;

  @Describe('most commands decided together and appended as one write per stream')
  @Integer(1, 10_000)
  COMMAND_BATCH_SIZE: number = 1000;

  @Describe(
    'most bytes one atomic append may carry (as the store counts them); a larger batch is appended in parts, and a command whose events alone are larger is refused with 422 `COMMAND.TOO_LARGE`. ' +
      "With `eventstoredb` set it to the server's `MaxAppendSize`. At least 65536; keep it at 1048576 or more, since single events reach ~400 KB ([event store](docs/event-store.md#append-size))",
    '`1048576` with `eventstoredb` (its `MaxAppendSize` default), `16777216` otherwise',
  )
  @IsOptional()
  @Integer(65_536, 268_435_456)
  EVENT_STORE_MAX_APPEND_BYTES?: number;

  @Describe('events per projection transaction while keeping up with the log')
  @Integer(1, 100_000)
  PROJECTION_PAGE_SIZE: number = 5000;

  @Describe(
    'events per transaction while a rebuild fills the shadow tables (a page and the next one being read are in memory: a few hundred MB at this size)',
  )
  @Integer(1, 200_000)
  PROJECTION_REBUILD_PAGE_SIZE: number = 50_000;

  @Describe(
    'what the projections, the restock reactor and the Kafka relay do at an unknown or corrupted stored event (unknown type, newer schema version, undecodable payload): ' +
      '`stop` applies/publishes up to it and stalls there (logged with its position; shown in the projection lag, `GET /messaging/status` and `dropline_processor_stalled`), ' +
      '`skip` reports it and moves past it. See docs/reliability.md',
  )
  @OneOf(BAD_EVENT_POLICIES)
  ON_BAD_EVENT: (typeof BAD_EVENT_POLICIES)[number] = 'stop';

  @Describe('PostgreSQL connect timeout')
  @Integer(100, 60_000)
  STORE_CONNECT_TIMEOUT_MS: number = 2000;

  @Describe(
    "PostgreSQL ends a session of ours that waits this long for its client inside a transaction (`idle_in_transaction_session_timeout`, set per connection; `0` leaves the server's setting, else at least `1000`). A process paused or cut off mid-transaction otherwise holds the log's safe horizon and its row locks, stalling every reader of the log on every instance; keep it below `LEASE_TTL_MS`. See docs/reliability.md",
  )
  @Integer(0, 600_000)
  PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: number = 10_000;

  @Describe(
    '`/health/ready` answers 503 while a reader running here (a projection) is further behind than this: the recorded time of the log head minus that of the first event it has not applied, on every store',
  )
  @Integer(1, 86_400)
  READY_MAX_LAG_SECONDS: number = 30;

  @Describe(
    "`/health/ready` answers 503 while a reader running here has more events than this after its checkpoint that it would handle (its filter: other streams' traffic such as storefront visits is not lag), where the store can count them (PostgreSQL, PGlite; EventStoreDB counts up to its bound)",
  )
  @Integer(1, 1_000_000_000)
  READY_MAX_LAG_EVENTS: number = 10_000;

  @Describe('how often the scheduler looks for due transitions')
  @Integer(10, 3_600_000)
  SCHEDULER_INTERVAL_MS: number = 1000;

  @Describe(
    'where the leases of work that runs once live (scheduler, projections, restock reactor, relay, in-process consumers): ' +
      '`database` = PostgreSQL advisory locks (needs `DATABASE_URL`), `event-store` = a `lease-<name>` stream in the event store (any `EVENT_STORE`), ' +
      '`process` = this process only (refused with a server event store unless `SINGLE_INSTANCE=true`); ' +
      '`auto` = `database` with `DATABASE_URL`, else `process` on embedded PGlite, else `event-store` (`process` with `SINGLE_INSTANCE=true`). ' +
      'See [architecture](docs/architecture.md#work-that-runs-once)',
  )
  @OneOf(LEASE_STORES)
  LEASE_STORE: (typeof LEASE_STORES)[number] = 'auto';

  @Describe(
    'the operator promises one engine instance: with `EVENT_STORE=eventstoredb` and no `DATABASE_URL`, `LEASE_STORE=auto` then keeps leases in the process (no lease stream); also what allows `LEASE_STORE=process` on a server store',
  )
  @Flag()
  SINGLE_INSTANCE: boolean = false;

  @Describe(
    'event-store leases: a holding lasts this long without renewal; the holder renews every third of it (one event per lease each time) and stops its leased writes at four fifths of it; a contender takes over after seeing the lease stream unchanged for this long',
  )
  @Integer(500, 600_000)
  LEASE_TTL_MS: number = 15_000;

  @Describe('`error`, `warn`, `log`, `debug`')
  @OneOf(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'log';

  @Describe(
    '`json` (one JSON object per line), `pretty` (coloured lines for a terminal), or `auto`: pretty when stdout is a terminal, JSON otherwise',
  )
  @OneOf(LOG_FORMATS)
  LOG_FORMAT: (typeof LOG_FORMATS)[number] = 'auto';

  @Describe("log Nest's route table at start (one `Mapped {…} route` line per route)")
  @Flag()
  LOG_ROUTES: boolean = false;

  @Describe('`production` refuses the development key and needs `JWT_ISSUER`/`JWT_AUDIENCE` (so does any server event store)')
  @OneOf(NODE_ENVS)
  NODE_ENV: (typeof NODE_ENVS)[number] = 'development';

  @Describe(
    'HS256 shared secret, at least 32 characters; configure one of `JWT_SECRET`, `JWT_PUBLIC_KEY`, `JWT_JWKS_URL` ([security](docs/security.md))',
    'development key in `DATA_DIR`',
  )
  @IsOptional()
  @MinLength(32, { message: 'must be at least 32 characters' })
  @IsString()
  JWT_SECRET?: string;

  @Describe('RS256 public key, SPKI PEM (`\\n` escapes allowed)')
  @IsOptional()
  @Transform(({ value }) => String(value).replace(/\\n/g, '\n'))
  @Matches(/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/, {
    message: 'must be an SPKI PEM public key (-----BEGIN PUBLIC KEY-----)',
  })
  JWT_PUBLIC_KEY?: string;

  @Describe('RS256 keys from a JWKS endpoint (cached and refreshed by jose)')
  @IsOptional()
  @Url(['https:', 'http:'])
  JWT_JWKS_URL?: string;

  @Describe('expected `iss` of every token; required in production')
  @IsOptional()
  @ClaimValue()
  JWT_ISSUER?: string;

  @Describe('expected `aud` of every token; required in production')
  @IsOptional()
  @ClaimValue()
  JWT_AUDIENCE?: string;

  @Describe('the drop lifecycle topic, keyed by drop id ([messaging](docs/messaging.md))')
  @KafkaName()
  KAFKA_TOPIC: string = 'dropline.drop-events.v1';

  @Describe(
    'where consumers put what they can never apply (besides their own `<consumer>.dead_letters` table, which the redrive reads: docs/operations.md)',
  )
  @KafkaName()
  KAFKA_DEAD_LETTER_TOPIC: string = 'dropline.drop-events.dead-letters.v1';

  @Describe(
    'put before the consumer group ids, which are otherwise `fulfillment` and `analytics`; give each deployment its own when several share a cluster',
  )
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,200}$/, { message: ({ value }) => `must be 1-200 letters, digits, '.', '_' or '-' (got "${value}")` })
  KAFKA_GROUP_PREFIX?: string;

  @Describe('Kafka client id (each app adds its role)')
  @KafkaName()
  KAFKA_CLIENT_ID: string = 'dropline';

  @Describe('`false` only against clusters that cannot grant producer ids (the kcat mock used in tests)')
  @Flag()
  KAFKA_IDEMPOTENT_PRODUCER: boolean = true;

  @Describe('CloudEvents `ce_source` of the published events')
  @IsString()
  CE_SOURCE: string = '/dropline/engine';

  @Describe('events read and published per relay round')
  @Integer(1, 10_000)
  RELAY_BATCH_SIZE: number = 500;

  @Describe('HTTP port of apps/relay: `/health/live` and `/health/ready`, no other route')
  @Integer(0, 65_535)
  RELAY_PORT: number = 3003;

  @Describe('partitions of the topics `npm run kafka:provision` creates (must not change after launch)')
  @Integer(1, 10_000)
  KAFKA_TOPIC_PARTITIONS: number = 12;

  @Describe('replication factor of the provisioned topics (min.insync.replicas 2)')
  @Integer(1, 32)
  KAFKA_REPLICATION_FACTOR: number = 3;

  @Describe('retention of the lifecycle topic in days (`0` = forever)')
  @Integer(0, 36_500)
  KAFKA_RETENTION_DAYS: number = 30;

  @Describe('retention of the dead-letter topic in days (`0` = forever)')
  @Integer(0, 36_500)
  KAFKA_DEAD_LETTER_RETENTION_DAYS: number = 90;

  @Describe(
    'days a consumer keeps a dead letter once it was redriven or dismissed (`0` = forever); the ones waiting for an operator stay ([operations](docs/operations.md#dead-letters))',
  )
  @Integer(0, 36_500)
  DEAD_LETTER_RETENTION_DAYS: number = 90;

  @Describe('where apps/fulfillment sends its hand-over commands')
  @Url(['http:', 'https:'])
  ENGINE_URL: string = 'http://localhost:3000';

  @Describe('bearer token (`service` role) apps/fulfillment presents to the engine')
  @IsOptional()
  @IsString()
  ENGINE_SERVICE_TOKEN?: string;

  @Describe('database of apps/fulfillment', '`DATABASE_URL`')
  @IsOptional()
  @Url(POSTGRES)
  FULFILLMENT_DATABASE_URL?: string;

  @Describe('HTTP port of apps/fulfillment')
  @Integer(0, 65_535)
  FULFILLMENT_PORT: number = 3001;

  @Describe("days from a production run's completion within which its fulfillment tasks are due for dispatch")
  @Integer(0, 365)
  FULFILLMENT_DISPATCH_SLA_DAYS: number = 3;

  @Describe('database of apps/analytics', '`DATABASE_URL`')
  @IsOptional()
  @Url(POSTGRES)
  ANALYTICS_DATABASE_URL?: string;

  @Describe('HTTP port of apps/analytics')
  @Integer(0, 65_535)
  ANALYTICS_PORT: number = 3002;

  @Describe(
    'OTLP/HTTP base URL spans are exported to (`<url>/v1/traces`), e.g. `http://localhost:4318`; unset = no tracing at all ([operations](docs/operations.md#tracing))',
  )
  @IsOptional()
  @Url(['http:', 'https:'])
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  @Describe('how spans are encoded: `http/protobuf` (the OpenTelemetry default, about half the bytes and the CPU of JSON) or `http/json`')
  @OneOf(OTLP_PROTOCOLS)
  OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol = 'http/protobuf';

  @Describe('`service.name` of the spans', '`dropline-<app>`')
  @IsOptional()
  @MinLength(1)
  @IsString()
  OTEL_SERVICE_NAME?: string;

  @Describe(`which traces are kept: ${TRACE_SAMPLERS.map((s) => `\`${s}\``).join(', ')}`)
  @OneOf(TRACE_SAMPLERS)
  OTEL_TRACES_SAMPLER: TraceSamplerName = 'parentbased_always_on';

  @Describe('the ratio of the `traceidratio` samplers, between 0 and 1')
  @Ratio()
  OTEL_TRACES_SAMPLER_ARG: number = 1;

  @Describe('`true` turns tracing off even with an endpoint set')
  @Flag()
  OTEL_SDK_DISABLED: boolean = false;
}

/** Every variable of the schema with its description and default, in table order. */
export function describeEnvironment(): Array<VariableDoc & { default: unknown }> {
  const defaults = new EnvironmentVariables() as unknown as Record<string, unknown>;
  return DOCS.map((doc) => ({ ...doc, default: defaults[doc.name] }));
}

/**
 * Validates an environment map against the schema (plainToInstance + validateSync): unset and
 * empty variables take their defaults, variables the schema does not know are ignored. Throws
 * ConfigError naming the first bad variable, in table order.
 */
export function validateEnvironment(env: Env): EnvironmentVariables {
  const given: Record<string, string> = {};
  for (const { name } of DOCS) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') given[name] = raw;
  }
  const variables = plainToInstance(EnvironmentVariables, given);
  const errors = validateSync(variables, { stopAtFirstError: true });
  const order = (property: string) => DOCS.findIndex((d) => d.name === property);
  const [first] = errors.sort((a, b) => order(a.property) - order(b.property));
  if (first) throw new ConfigError(first.property, Object.values(first.constraints ?? {})[0] ?? 'is invalid');
  return variables;
}

/** The only reader of process.env: the variables of the schema, for loadConfig at an entry point. */
export function readEnvironment(): Env {
  return Object.fromEntries(DOCS.map(({ name }) => [name, process.env[name]]));
}

/**
 * What npm tells a script about how it was called (not configuration, so not in the table): the
 * caller's directory (`INIT_CWD`) and the script's name. Read here because this file is the one
 * reader of process.env; the CLI resolves relative paths with it.
 */
export function readProcessContext(): { INIT_CWD?: string; npm_lifecycle_event?: string } {
  return { INIT_CWD: process.env.INIT_CWD, npm_lifecycle_event: process.env.npm_lifecycle_event };
}
