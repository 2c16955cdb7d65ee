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
  logger?: EventStoreLogger;
}

/** Creates a pg.Pool for a PostgreSQL server URL, with bigints returned as strings. */
export function createPostgresPool(url: string, options: PostgresPoolOptions = {}): Pool {
  const config: PoolConfig = {
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'dropline',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 30000,
    statement_timeout: options.statementTimeoutMillis,
    types: bigintAsStringTypes,
  };
  const pool = new Pool(config);
  const logger = options.logger ?? consoleEventStoreLogger;
  // Without a listener, an idle client losing its connection (server restart) crashes the process.
  pool.on('error', (error) => logger.error('idle PostgreSQL connection failed', error));
  return pool;
}
