export * from './event-store.port';
export { DuplicateEventIdError } from './duplicate-event-id.error';
export { StreamDeletedError, StreamTruncatedError } from './stream-gone.errors';
export { LAG_TTL_MS, measureLag, SharedLag, type ReaderLag } from './lag';
export { SharedLogReads, type SharedLogReadsOptions } from './shared-log-reads';
export { satisfiesExpectedRevision, assertValidExpectedRevision } from './expected-revision';
export { consoleEventStoreLogger, type EventStoreLogger } from './event-store.logger';
export { PostgresEventStore, type PostgresEventStoreOptions } from './postgres/postgres.event-store';
export type { PollingOptions } from './postgres/polling.subscription';
export { lockHolders } from './postgres/lock-holders';
export {
  DDL_LOCK_TIMEOUT_MS,
  type DdlOptions,
  ensureEventStoreSchema,
  EVENT_STORE_SCHEMA_SQL_PATH,
  givingWayToRunningWork,
  isLockNotAvailable,
  migrateOnce,
  migrateOnceUnlessApplied,
  type SchemaQueryable,
  warnOfLockWaits,
} from './postgres/postgres.schema';
export {
  createPostgresPool,
  bigintAsStringTypes,
  DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  idleInTransactionParameter,
  type PostgresPoolOptions,
} from './postgres/postgres.pool';
export {
  createEmbeddedDatabase,
  EMBEDDED_START_PARAMS,
  openEmbeddedDatabase,
  type EmbeddedDatabase,
  type EmbeddedDatabaseOptions,
} from './postgres/embedded-database';
export { DATA_DIR_LOCK_FILE } from './postgres/data-dir.lock';
export { isConnectionError, isDataRefusal } from './postgres/postgres.errors';
// The class is imported from its module where needed: the barrel loads no gRPC client (openEventStoreDb loads it).
export type { EventStoreDbEventStore, EventStoreDbEventStoreOptions } from './eventstoredb/eventstoredb.event-store';
export { openEventStoreDb } from './eventstoredb/open';
export * from './postgres-import';
export * from './trace-context';
