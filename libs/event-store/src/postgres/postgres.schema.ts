import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';

/** Absolute path of the schema DDL, also read by the PGlite test template builder (test/global-setup.js). */
export const EVENT_STORE_SCHEMA_SQL_PATH = join(__dirname, '..', 'schema.sql');

// Any constant works; it only has to be the same in every process that boots against this database.
const SCHEMA_LOCK_KEY = 0x64726f70; // 'drop'

/**
 * Creates the event store tables if missing. Idempotent and safe when several instances boot at
 * once: CREATE TABLE IF NOT EXISTS alone can still race on the catalog, so the DDL runs in one
 * transaction behind a transaction-scoped advisory lock.
 */
export async function ensureEventStoreSchema(pool: Pool): Promise<void> {
  const ddl = readFileSync(EVENT_STORE_SCHEMA_SQL_PATH, 'utf8');
  // One simple-protocol round trip; the lock is released by COMMIT (or by ROLLBACK on error).
  const client = await pool.connect();
  try {
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${SCHEMA_LOCK_KEY}); ${ddl}; COMMIT;`);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

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
export async function migrateOnce(db: SchemaQueryable | Pool, ddl: (db: SchemaQueryable) => Promise<void>): Promise<void> {
  // A pg.Pool (duck-typed: a pg.Client has connect() too, and is already connected).
  if (!('totalCount' in db) || typeof (db as Pool).connect !== 'function') return ddl(db);
  const client = await (db as Pool).connect();
  try {
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${OTHER_SCHEMAS_LOCK_KEY})`);
    await ddl(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
