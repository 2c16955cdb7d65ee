import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Pool } from 'pg';
import { lockDataDir, type DataDirLock } from './data-dir.lock';
import { bigintAsStringTypes } from './postgres.pool';

/** An in-process PostgreSQL (PGlite) with the single pg.Pool everything must share. */
export interface EmbeddedDatabase {
  pglite: PGlite;
  /** ONE connection: PGlite is single-session, so the event store and TypeORM share this pool. */
  pool: Pool;
  /** Ends the pool, closes PGlite and releases the data directory lock. */
  close(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Directory that persists the database, or `memory://` for a throwaway in-memory one. */
  dataDir: string;
}

/** Opens (creating if needed) an embedded PGlite database under dataDir, locked to this process. */
export async function createEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const inMemory = options.dataDir.startsWith('memory://');
  const lock = inMemory ? undefined : lockDataDir(options.dataDir);
  try {
    return await openEmbeddedDatabase(new PGlite(inMemory ? {} : { dataDir: options.dataDir }), lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/**
 * Wraps an already constructed PGlite (e.g. one loaded from a dump with `loadDataDir`) in the
 * shared single-connection pool. Exposed for test support; prefer createEmbeddedDatabase.
 */
export async function openEmbeddedDatabase(pglite: PGlite, lock?: DataDirLock): Promise<EmbeddedDatabase> {
  await pglite.waitReady;
  const pool = new Pool({
    ...createPgConfig(pglite),
    // The PGlite "connection" is one object: a second pg client would interleave protocol
    // messages on it. Idle clients must not be reaped either (0 = keep forever).
    max: 1,
    idleTimeoutMillis: 0,
    types: bigintAsStringTypes,
  });
  let closed = false;
  return {
    pglite,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pool.end();
        await pglite.close();
      } finally {
        lock?.release();
      }
    },
  };
}
