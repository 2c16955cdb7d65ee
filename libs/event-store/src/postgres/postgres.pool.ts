import { Pool, types as pgTypes, type CustomTypesConfig, type PoolConfig } from 'pg';
import { consoleEventStoreLogger, type EventStoreLogger } from '../event-store.logger';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const XID8_OID = 5069;

/**
 * Per-pool type parsers: bigint, numeric and xid8 stay strings. They are set on the pool rather
 * than through the global `pg.types`, so another library changing the global parsers (or this
 * one, for someone else's pool) cannot silently turn 64-bit values into lossy JS numbers.
 */
export const bigintAsStringTypes: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID || oid === NUMERIC_OID || oid === XID8_OID) return (value: string) => value;
    return format === 'binary' ? pgTypes.getTypeParser(oid, 'binary') : pgTypes.getTypeParser(oid, 'text');
  }) as CustomTypesConfig['getTypeParser'],
};

export interface PostgresPoolOptions {
  /** Maximum connections (default 10). */
  max?: number;
  /** Shown in pg_stat_activity (default `dropline`). */
  applicationName?: string;
  /** Fail a checkout after this long instead of waiting forever (default 5000 ms). */
  connectionTimeoutMillis?: number;
  idleTimeoutMillis?: number;
  /** Server-side statement_timeout in ms (default none). */
  statementTimeoutMillis?: number;
  /**
   * Server-side idle_in_transaction_session_timeout in ms (default
   * DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS; 0: the server's own setting). See createPostgresPool.
   */
  idleInTransactionTimeoutMillis?: number;
  /**
   * Bytes a new connection's backend allocates and frees once, before anything else (default
   * SERVER_MALLOC_WARMUP_BYTES; 0: none). See createPostgresPool.
   */
  mallocWarmupBytes?: number;
  logger?: EventStoreLogger;
}

/**
 * What a new connection's backend allocates and frees once: 8 MiB, so that glibc's malloc in the
 * backend serves allocations up to that size from its heap and keeps up to twice that free before
 * giving memory back to the system.
 */
export const SERVER_MALLOC_WARMUP_BYTES = 8 * 1024 * 1024;

/**
 * 10 s: how long PostgreSQL lets one of our sessions sit inside a transaction waiting for its
 * client before it ends the session. Every transaction of ours is a few round trips apart; a
 * client that stops answering mid-transaction (a paused or frozen process, a lost network) holds
 * the log's safe horizon, which is cluster-wide, and the rows it locked, and so stalls every
 * reader of the log on every instance (docs/architecture.md, "The gap-safe global log"). Below the
 * default LEASE_TTL_MS, so the stall has ended by the time another instance takes the paused one's
 * leases over.
 */
export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 10_000;

/** The startup parameter that ends a session idle in a transaction for longer than `ms` (0: leave the server's setting). */
export function idleInTransactionParameter(ms: number | undefined): Pick<PoolConfig, 'idle_in_transaction_session_timeout'> {
  const value = ms ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS;
  if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`Invalid idleInTransactionTimeoutMillis: ${value}`);
  return value > 0 ? { idle_in_transaction_session_timeout: value } : {};
}

/**
 * Creates a pg.Pool for a PostgreSQL server URL, with bigints returned as strings.
 *
 * Every new connection first runs one statement that allocates and frees `mallocWarmupBytes`
 * (`SELECT length(repeat('x', n))`, pg-pool's onConnect: before the connection is handed out). PostgreSQL on glibc
 * allocates its memory with malloc, whose thresholds are dynamic: a block over the mmap threshold
 * (128 KiB at first) gets pages of its own, faulted in on first touch and unmapped on free, and
 * the heap is given back once more than twice that threshold lies free at its top. Freeing one
 * block of n bytes raises the mmap threshold to n (mallopt(3)). Until then an append's jsonb
 * parameter (about 100 KB to a few MB: the text, its parsed values, the planner's copies of the
 * constant) is faulted in again and again: measured, an append backend took 108,000 page faults
 * in 4 s of the four-phase hot drop against 17,600 after the warm-up, and the drop sold 37% faster
 * (docs/benchmarks.md). Done by hand because it is a property of the server's allocator, which
 * no client option sets; on another allocator the statement costs one allocation per connection.
 */
export function createPostgresPool(url: string, options: PostgresPoolOptions = {}): Pool {
  const warmup = options.mallocWarmupBytes ?? SERVER_MALLOC_WARMUP_BYTES;
  if (!(Number.isSafeInteger(warmup) && warmup >= 0)) throw new RangeError(`Invalid mallocWarmupBytes: ${warmup}`);
  const logger = options.logger ?? consoleEventStoreLogger;
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'dropline',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30000,
    statement_timeout: options.statementTimeoutMillis,
    // Sent with the connection's startup packet: no round trip of its own.
    ...idleInTransactionParameter(options.idleInTransactionTimeoutMillis),
    types: bigintAsStringTypes,
    // Before the pool hands a new connection out. A failed warm-up costs only its own gain.
    onConnect:
      warmup > 0
        ? async (client) => {
            try {
              await client.query(`SELECT length(repeat('x', ${warmup}))`);
            } catch (error) {
              logger.warn(`malloc warm-up of a new PostgreSQL connection failed: ${String(error)}`);
            }
          }
        : undefined,
  };
  const pool = new Pool(config);
  // Without a listener, an idle client losing its connection (server restart) crashes the process.
  // pg-pool hangs the client on the error (`error.client`): logged as it comes, every idle
  // connection of a restarting server wrote its whole client object (socket, parser, queues) to
  // the log. The pool drops the client itself; the log gets the error alone.
  pool.on('error', (error) => {
    delete (error as Error & { client?: unknown }).client;
    logger.error('idle PostgreSQL connection failed', error);
  });
  return pool;
}
