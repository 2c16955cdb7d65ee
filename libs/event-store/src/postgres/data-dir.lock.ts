import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Name of the lock file inside an embedded database's data directory. */
export const DATA_DIR_LOCK_FILE = 'dropline.lock';

/** Held lock on a data directory; release() is idempotent. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/**
 * Locks an embedded database directory for this process. PGlite has no postmaster to refuse a
 * second opener, and two processes writing one data directory corrupt it, so the first opener
 * creates `dropline.lock` exclusively (O_EXCL) with its pid. A lock left by a dead pid (crash,
 * SIGKILL) is taken over; a live one fails with an error naming DATA_DIR.
 * Known gap: two processes taking over the same stale lock at the same instant can both succeed;
 * that needs a crash followed by two simultaneous restarts.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  if (!tryCreate(path)) {
    const holder = readPid(path);
    if (holder !== undefined && isAlive(holder)) {
      throw new Error(
        `DATA_DIR ${dataDir} is in use by process ${holder} (lock file ${path}). ` +
          'Stop that process or point DATA_DIR at another directory.',
      );
    }
    // Stale: its owner is gone. Remove it and race for it like a fresh lock.
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (!tryCreate(path)) {
      throw new Error(`DATA_DIR ${dataDir} was locked by another process while taking over a stale lock (${path})`);
    }
  }
  const release = () => {
    process.off('exit', release);
    try {
      if (readPid(path) === process.pid) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
  // Best effort on a normal exit; a killed process leaves a stale lock, which the next start takes over.
  process.on('exit', release);
  return { path, release };
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
