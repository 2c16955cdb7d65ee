import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool, PoolClient } from 'pg';
import { buildMissingEventsIndexes, eventsIndexesOf } from './events-indexes';
import { lockHolders, type CatalogQueryable } from './lock-holders';

/** Absolute path of the schema DDL, also read by the PGlite test template builder (test/global-setup.js). */
export const EVENT_STORE_SCHEMA_SQL_PATH = join(__dirname, '..', 'schema.sql');

// Any constant works; it only has to be the same in every process that boots against this database.
const SCHEMA_LOCK_KEY = 0x64726f70; // 'drop'

/**
 * Creates the event store tables if missing. Idempotent and safe when several instances boot at
 * once: CREATE TABLE IF NOT EXISTS alone can still race on the catalog, so the DDL runs in one
 * transaction behind a transaction-scoped advisory lock, and gives way to running work
 * (inDdlTransaction). An index a release adds to an existing log is built first, concurrently
 * (buildMissingEventsIndexes).
 *
 * A log already at this release's schema runs no DDL at all: the transaction records the digest
 * of schema.sql it applied (`dropline_schema`), and a start that finds it, with the tables and
 * the append function in the catalog, is done without taking a lock on `events`. Its DDL would
 * otherwise ask for a SHARE lock on every start (CREATE INDEX IF NOT EXISTS), wait behind any
 * long writing transaction (an import into the configured store holds one for its whole run),
 * give way for up to 10 minutes and then fail the start, with nothing to change.
 */
export async function ensureEventStoreSchema(pool: Pool, options: DdlOptions = {}): Promise<void> {
  const ddl = readFileSync(EVENT_STORE_SCHEMA_SQL_PATH, 'utf8');
  await buildMissingEventsIndexes(pool, eventsIndexesOf(ddl), options.log);
  const digest = createHash('sha256').update(ddl).digest('hex');
  if (await schemaApplied(pool, digest)) return;
  await inDdlTransaction(
    pool,
    SCHEMA_LOCK_KEY,
    async (client) => {
      // One simple-protocol round trip for schema.sql, then its digest.
      await client.query(ddl);
      await recordSchemaDigest(client, EVENT_STORE_SCHEMA_NAME, digest);
    },
    options,
  );
}

/** The row of `dropline_schema` that records which schema.sql the event store's tables are at. */
const EVENT_STORE_SCHEMA_NAME = 'event-store';

/** Whether schema.sql with this digest was applied and its objects are there: catalog reads and one row, no table lock. */
function schemaApplied(pool: Pool, digest: string): Promise<boolean> {
  return schemaDigestApplied(pool, EVENT_STORE_SCHEMA_NAME, digest, {
    tables: ['events', 'streams'],
    functions: ['dropline_append(text, jsonb, text)'],
  });
}

/** The sha256 of DDL statements, in order: what `dropline_schema` records. */
export function schemaDigest(statements: readonly string[]): string {
  return createHash('sha256').update(statements.join('\n;\n')).digest('hex');
}

/**
 * Whether the part of the schema called `name` was brought to `digest` (its row in
 * `dropline_schema`) and `tables` and `functions` are in the catalog: catalog reads and one row,
 * no lock on any of the part's tables. False on a database without `dropline_schema`.
 */
export async function schemaDigestApplied(
  db: SchemaQueryable,
  name: string,
  digest: string,
  expected: { tables?: readonly string[]; functions?: readonly string[] } = {},
): Promise<boolean> {
  const { rows } = (await db.query(
    `SELECT to_regclass('dropline_schema') IS NOT NULL
            AND (SELECT bool_and(to_regclass(t) IS NOT NULL) FROM unnest($1::text[]) t) IS NOT FALSE
            AND (SELECT bool_and(to_regprocedure(f) IS NOT NULL) FROM unnest($2::text[]) f) IS NOT FALSE AS present`,
    [expected.tables ?? [], expected.functions ?? []],
  )) as { rows: Array<{ present: boolean }> };
  if (!rows[0]?.present) return false;
  const recorded = (await db.query('SELECT digest FROM dropline_schema WHERE name = $1', [name])) as { rows: Array<{ digest: string }> };
  return recorded.rows[0]?.digest === digest;
}

/** Records, inside the schema transaction that applied it, that the part `name` is at `digest`. */
export async function recordSchemaDigest(db: SchemaQueryable, name: string, digest: string): Promise<void> {
  // The event store's DDL (SCHEMA_LOCK_KEY, which schema.sql's own CREATE TABLE dropline_schema
  // runs under) and the other schemas' (OTHER_SCHEMAS_LOCK_KEY) may both create the table on a new
  // database: taking the event store's lock too (already held there) keeps them from racing on it.
  await db.query(`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY})`);
  await db.query(
    `CREATE TABLE IF NOT EXISTS dropline_schema (name text NOT NULL PRIMARY KEY, digest text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  await db.query(
    `INSERT INTO dropline_schema (name, digest) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET digest = EXCLUDED.digest, applied_at = now()`,
    [name, digest],
  );
}

/**
 * How long a schema transaction waits for any one lock before it gives way. DDL that finds its
 * objects already there still takes its table lock first (CREATE INDEX IF NOT EXISTS a SHARE lock,
 * ALTER TABLE … ADD COLUMN IF NOT EXISTS an ACCESS EXCLUSIVE one), and a lock request that waits
 * queues every later statement on that table behind it: an instance starting while another one's
 * append, page or an analyst's long query holds a table would stall all the running instances'
 * work on it until that transaction ends. Past this wait the starting instance rolls back, lets
 * the queue go, and tries again later.
 */
export const DDL_LOCK_TIMEOUT_MS = 200;

export interface DdlOptions {
  /** How long to keep trying before failing the start (default 10 minutes). */
  retryForMs?: number;
  /** Told of each attempt that gave way (to log it); the next attempt waits for it too. */
  onLockWait?: (attempt: number, nextTryInMs: number) => void | Promise<void>;
  /** Told of long work the start does (an index built on an existing log) and of waits for another instance's. */
  log?: (message: string) => void;
}

/**
 * DdlOptions that warn of each give-way of `what`'s schema changes (the operations log's line),
 * naming who holds `tables`, or any relation of `schemas`, when given (lockHolders).
 */
export function warnOfLockWaits(
  what: string,
  warn: (message: string) => void,
  holdersOf?: { pool: CatalogQueryable; tables?: readonly string[]; schemas?: readonly string[] },
): DdlOptions {
  return {
    onLockWait: async (attempt, nextTryInMs) => {
      const holders = holdersOf ? await lockHolders(holdersOf.pool, holdersOf.tables ?? [], { schemas: holdersOf.schemas }) : '';
      warn(
        `${what}: a running transaction holds a lock it needs${holders ? ` (${holders})` : ''} (attempt ${attempt}); ` +
          `giving way, next try in ${nextTryInMs} ms`,
      );
    },
  };
}

/**
 * Runs `ddl` in one transaction behind the transaction-scoped advisory lock `lockKey`, every lock
 * wait bounded by DDL_LOCK_TIMEOUT_MS (givingWayToRunningWork).
 */
function inDdlTransaction(pool: Pool, lockKey: number, ddl: (client: PoolClient) => Promise<void>, options: DdlOptions): Promise<void> {
  return givingWayToRunningWork(async () => {
    const client = await pool.connect();
    try {
      // Reading pg_namespace after the advisory lock is granted takes this transaction's first
      // catalog lock, and with it the catalog changes committed while it waited (the instance that
      // held the lock created the schema): an advisory lock alone does not make a session take them
      // in, and a name it had looked up and not found before (a start's check that its tables are
      // there) stayed "missing", so CREATE SCHEMA IF NOT EXISTS failed on a duplicate.
      await client.query(
        `BEGIN; SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT_MS}ms'; SELECT pg_advisory_xact_lock(${lockKey}); SELECT FROM pg_catalog.pg_namespace LIMIT 1`,
      );
      await ddl(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }, options);
}

/**
 * Runs `attempt` (schema changes whose lock waits are bounded, e.g. by DDL_LOCK_TIMEOUT_MS) until
 * it does not fail on a lock wait: an attempt that timed out on a lock (55P03) must have rolled
 * back what it did, and is tried again after a growing pause (up to 5 s, with jitter), for
 * `retryForMs` in all. Any other failure fails at once.
 */
export async function givingWayToRunningWork<T>(attempt: () => Promise<T>, options: DdlOptions = {}): Promise<T> {
  const retryForMs = options.retryForMs ?? 600_000;
  const deadline = Date.now() + retryForMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (failure) {
      if (!isLockNotAvailable(failure)) throw failure;
      if (Date.now() >= deadline)
        throw new Error(
          `The schema DDL could not take its locks in ${n} attempts over ${retryForMs} ms: a long transaction holds one of its tables (see pg_stat_activity)`,
          { cause: failure },
        );
      const pause = Math.round(Math.min(5_000, 100 * 2 ** n) * (0.5 + Math.random() / 2));
      await options.onLockWait?.(n, pause);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** A lock wait past lock_timeout: pg's error, or TypeORM's QueryFailedError around it. */
export function isLockNotAvailable(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  return e?.code === LOCK_NOT_AVAILABLE || e?.driverError?.code === LOCK_NOT_AVAILABLE;
}

const LOCK_NOT_AVAILABLE = '55P03';

/** The lock every other schema's DDL takes (consumers, dead letters, checkpoints): one at a time, across processes. */
const OTHER_SCHEMAS_LOCK_KEY = 0x64726f71;

/** What migrateOnce runs its DDL on: one connection, in a transaction. */
export interface SchemaQueryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/**
 * Runs `ddl` (CREATE … IF NOT EXISTS, ALTER … ADD COLUMN IF NOT EXISTS) so that instances
 * starting together on an empty database migrate it once: on a pool, in one transaction on one
 * connection behind a transaction-scoped advisory lock, the next instance then finding it all
 * there. IF NOT EXISTS alone still races on the catalog (`duplicate key value violates unique
 * constraint "pg_type_typname_nsp_index"`, `relation … already exists`), and the engine that lost
 * failed to start. Given a client instead of a pool, `ddl` runs on it as it is (the caller's
 * transaction, if any).
 */
export async function migrateOnce(
  db: SchemaQueryable | Pool,
  ddl: (db: SchemaQueryable) => Promise<void>,
  options: DdlOptions = {},
): Promise<void> {
  // A pg.Pool (duck-typed: a pg.Client has connect() too, and is already connected).
  if (!('totalCount' in db) || typeof (db as Pool).connect !== 'function') return ddl(db);
  return inDdlTransaction(db as Pool, OTHER_SCHEMAS_LOCK_KEY, ddl, options);
}

/**
 * migrateOnce for a part of the schema (`part.name`, e.g. `consumer:fulfillment`) that a database
 * already at the same statements skips altogether: `ddl` runs first against a recorder (it must be
 * DDL only, its results unused), the digest of what it would run is compared with the part's row
 * in `dropline_schema`, and only a database without it (or without `part.tables`) runs it, then
 * records the digest in the same transaction. DDL with nothing to do still takes its locks, so a
 * restart would otherwise queue behind, or give way to, any long transaction on those tables.
 */
export async function migrateOnceUnlessApplied(
  db: SchemaQueryable | Pool,
  part: { name: string; tables?: readonly string[] },
  ddl: (db: SchemaQueryable) => Promise<void>,
  options: DdlOptions = {},
): Promise<void> {
  const statements: string[] = [];
  await ddl({ query: async (text: string) => void statements.push(text) });
  const digest = schemaDigest(statements);
  if (await schemaDigestApplied(db, part.name, digest, { tables: part.tables })) return;
  await migrateOnce(
    db,
    async (tx) => {
      await ddl(tx);
      await recordSchemaDigest(tx, part.name, digest);
    },
    options,
  );
}
