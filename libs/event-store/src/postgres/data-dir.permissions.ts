import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Mode of every directory of an embedded database: the owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of every file of an embedded database: the owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates the data directory if needed and makes it 0700, whatever the umask or an older version
 * left (0755). The audit trail lives in it; with the directory private no other local user can
 * read, replace or rename anything under it, even the files PGlite creates 0666 while it runs.
 */
export function createPrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  setMode(dir, statSync(dir).mode, PRIVATE_DIR_MODE);
}

/**
 * Makes everything under dir owner-only: directories 0700, files 0600. PGlite creates its files
 * 0666 regardless of the umask, so this runs at start (for what an older version or the last run
 * left) and at clean shutdown (for what this run created). Symbolic links are left alone: chmod
 * would follow them out of the directory.
 * Fails when a mode cannot be changed (the process does not own the entry), like PostgreSQL, which
 * refuses a data directory that is not the server user's own.
 */
export function makeTreePrivate(dir: string): void {
  setMode(dir, statSync(dir).mode, PRIVATE_DIR_MODE);
  const pending = [dir];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      let mode: number;
      try {
        mode = lstatSync(path).mode;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        throw error;
      }
      const type = mode & 0o170000;
      if (type === 0o120000) continue; // symbolic link
      if (type === 0o040000) {
        setMode(path, mode, PRIVATE_DIR_MODE);
        pending.push(path);
      } else {
        setMode(path, mode, PRIVATE_FILE_MODE);
      }
    }
  }
}

function setMode(path: string, current: number, wanted: number): void {
  // Only when it differs: an entry already private needs no write (and no ownership).
  if ((current & 0o7777) === wanted) return;
  try {
    chmodSync(path, wanted);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new Error(`cannot make ${path} private (${code}): everything under DATA_DIR must belong to the user the engine runs as`, {
      cause: error,
    });
  }
}
