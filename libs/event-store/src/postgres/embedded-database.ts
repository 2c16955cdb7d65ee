import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Pool } from 'pg';
import { lockDataDir, type DataDirLock } from './data-dir.lock';
import { createPrivateDir, makeTreePrivate } from './data-dir.permissions';
import { bigintAsStringTypes } from './postgres.pool';

/** An in-process PostgreSQL (PGlite) with the single pg.Pool everything must share. */
export interface EmbeddedDatabase {
  pglite: PGlite;
  /** ONE connection: PGlite is single-session, so the event store and TypeORM share this pool. */
  pool: Pool;
  /** Ends the pool, closes PGlite, makes the data directory's files private again and releases its lock. */
  close(): Promise<void>;
}

/**
 * PostgreSQL's settings for the embedded database: PGlite's own (single-user mode, no parallel
 * workers), with shared_buffers at 32 MB instead of 128 MB. Those buffers live in the WebAssembly
 * memory of the engine process, so they count in its RSS once touched, and the embedded engine
 * (one process, a development or small-shop database) gains nothing from caching more of its
 * files than that: pages beyond it are read back from the OS page cache. Durability is untouched.
 */
export const EMBEDDED_START_PARAMS: readonly string[] = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

export interface EmbeddedDatabaseOptions {
  /** Directory that persists the database, or `memory://` for a throwaway in-memory one. */
  dataDir: string;
}

/**
 * Opens (creating if needed) an embedded PGlite database under dataDir, locked to this process.
 * dataDir is made private at every start (0700, everything in it 0700/0600) and its files again
 * at close, since PGlite creates them 0666 (data-dir.permissions.ts).
 */
export async function createEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  if (options.dataDir.startsWith('memory://')) return wrap(new PGlite({ startParams: [...EMBEDDED_START_PARAMS] }));
  const dataDir = options.dataDir;
  createPrivateDir(dataDir);
  const lock = lockDataDir(dataDir);
  // Tighten before releasing the lock, so the next engine never races this process's chmods.
  const afterClose = () => {
    try {
      makeTreePrivate(dataDir);
    } finally {
      lock.release();
    }
  };
  let db: EmbeddedDatabase | undefined;
  try {
    // What an older version or a crashed run left (0644/0666) is private before PGlite reads it ...
    makeTreePrivate(dataDir);
    db = await wrap(new PGlite({ dataDir, startParams: [...EMBEDDED_START_PARAMS] }), afterClose);
    // ... and so is what a first start's initdb just wrote, rather than only from the first clean shutdown.
    makeTreePrivate(dataDir);
    return db;
  } catch (error) {
    if (db) await db.close().catch(() => undefined);
    else lock.release();
    throw error;
  }
}

/**
 * Wraps an already constructed PGlite (e.g. one loaded from a dump with `loadDataDir`) in the
 * shared single-connection pool. Exposed for test support; prefer createEmbeddedDatabase.
 */
export async function openEmbeddedDatabase(pglite: PGlite, lock?: DataDirLock): Promise<EmbeddedDatabase> {
  return wrap(pglite, lock && (() => lock.release()));
}

/** The pool around a PGlite; afterClose runs once PGlite is closed, even when closing failed. */
async function wrap(pglite: PGlite, afterClose?: () => void): Promise<EmbeddedDatabase> {
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
        afterClose?.();
      }
    },
  };
}
