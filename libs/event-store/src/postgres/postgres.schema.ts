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
