import { closeSync, mkdirSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Name of the lock file inside an embedded database's data directory. */
export const DATA_DIR_LOCK_FILE = 'dropline.lock';

/** Held lock on a data directory; release() is idempotent. */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/**
 * The process a lock file names. A lock written by an older version holds only the pid; `boot`
 * and `start` are also missing where /proc is (not Linux).
 */
export interface LockOwner {
  pid: number;
  host?: string;
  /** /proc/sys/kernel/random/boot_id of the machine the process ran on. */
  boot?: string;
  /** Start time of the process in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  start?: string;
}

/**
 * Locks an embedded database directory for this process. PGlite has no postmaster to refuse a
 * second opener, and two engines writing one data directory corrupt it, so the first opener
 * creates `dropline.lock` exclusively (O_EXCL) naming itself (`lockOwnerOf`).
 *
 * A pid alone cannot say whether its process still runs: a container restarts its engine as
 * PID 1 again, and any pid is reused sooner or later. So the lock records pid, host, boot id
 * and process start time, and is stale only on the same host when
 * - the machine rebooted since (boot id differs), or
 * - no process has that pid, or one does but started at another time (the pid was reused), or
 * - the pid is this very process's (an earlier engine with our pid, typically PID 1 of a
 *   restarted container) and no open in this process holds the lock.
 * A lock from another host is never taken over: its pid means nothing here. A lock in the old
 * format (a pid alone) falls back to pid liveness, except that our own pid is stale when no open
 * here holds it. A second open in this process is refused through an in-process registry, not
 * the file, since the file cannot tell this process from an earlier one with the same pid.
 *
 * Known gaps: two processes taking over the same stale lock at the same instant can both
 * succeed (needs a crash followed by two simultaneous restarts); and two engines sharing one
 * host name but not one pid namespace (containers on the host's network sharing DATA_DIR)
 * cannot compare pids, so each takes the other's lock for stale: give each its own DATA_DIR.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  // Keyed by the real path, so `./data` and `/srv/app/data/` are the same directory.
  const key = join(realpathSync(dataDir), DATA_DIR_LOCK_FILE);
  const held = heldLocks();
  if (held.has(key)) {
    throw new Error(
      `DATA_DIR ${dataDir} is in use by this process (${process.pid}): it is already open here (lock file ${path}). ` +
        'Close it before opening it again.',
    );
  }
  const self = lockOwnerOf(process.pid);
  const content = formatLockFile(self);
  if (!tryCreate(path, content)) {
    const holder = readLockFile(path);
    const refusal = holder && whyNotStale(holder, self, dataDir, path);
    if (refusal) throw new Error(refusal);
    // Stale: its owner is gone. Remove it and race for it like a fresh lock.
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (!tryCreate(path, content)) {
      throw new Error(`DATA_DIR ${dataDir} was locked by another process while taking over a stale lock (${path})`);
    }
  }
  held.add(key);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    held.delete(key);
    try {
      // Only our own lock: one that replaced it (after someone judged ours stale) is not ours to remove.
      if (readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
  // Best effort on a normal exit; a killed process leaves a stale lock, which the next start takes over.
  process.on('exit', release);
  return { path, release };
}

/**
 * Why a lock held by `holder` must be respected, or undefined when it is stale. Called only when
 * no open in this process holds the lock.
 */
function whyNotStale(holder: LockOwner, self: LockOwner, dataDir: string, path: string): string | undefined {
  if (holder.host !== undefined && holder.host !== self.host) {
    return (
      `DATA_DIR ${dataDir} is locked by process ${holder.pid} on host ${holder.host} (lock file ${path}); ` +
      `this host (${self.host}) cannot tell whether it still runs. If no engine on ${holder.host} uses DATA_DIR, delete the lock file.`
    );
  }
  if (holder.pid === self.pid) return undefined;
  if (holder.boot !== undefined && self.boot !== undefined && holder.boot !== self.boot) return undefined;
  if (isAlive(holder.pid)) {
    const start = holder.start === undefined ? undefined : processStartTime(holder.pid);
    // A start time we cannot read (no /proc, or hidden from us) proves nothing: the pid stays live.
    if (start === undefined || start === holder.start) {
      return (
        `DATA_DIR ${dataDir} is in use by process ${holder.pid} (lock file ${path}). ` +
        'Stop that process or point DATA_DIR at another directory.'
      );
    }
  }
  return undefined;
}

/**
 * Identifies a process of this machine for a lock file.
 * Start ticks count from boot, so after a reboot the same pid can come back with the same tick
 * count (a container's PID 1 starts at much the same moment every boot). The boot id rules that
 * out and makes any lock from before the reboot stale without looking at the pid. Both are
 * host-wide, so they mean the same inside and outside a container.
 */
export function lockOwnerOf(pid: number): LockOwner {
  return { pid, host: hostname(), boot: bootId(), start: processStartTime(pid) };
}

/**
 * The pid stays alone on the first line, the other fields follow as `key=value` lines: an older
 * version reads the first line as the pid (parseInt), so a downgrade still respects a live lock.
 */
export function formatLockFile(owner: LockOwner): string {
  const lines = [String(owner.pid)];
  if (owner.host !== undefined) lines.push(`host=${owner.host}`);
  if (owner.boot !== undefined) lines.push(`boot=${owner.boot}`);
  if (owner.start !== undefined) lines.push(`start=${owner.start}`);
  return `${lines.join('\n')}\n`;
}

/** The owner a lock file names; undefined when it names none (empty, garbled). */
export function parseLockFile(text: string): LockOwner | undefined {
  const [first, ...rest] = text.split('\n');
  const pid = Number(first.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const owner: LockOwner = { pid };
  for (const line of rest) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const value = line.slice(eq + 1).trim();
    const key = line.slice(0, eq).trim();
    if (key === 'host' || key === 'boot' || key === 'start') owner[key] = value;
  }
  return owner;
}

/** Start time of a process in clock ticks since boot, or undefined where /proc cannot tell. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 is the command name in parentheses and may itself hold spaces or ')': count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[22 - 3];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lock files held by opens in this process. Kept on globalThis so that two copies of this module
 * loaded into one process (duplicated node_modules) still see each other's locks.
 */
function heldLocks(): Set<string> {
  const slot = Symbol.for('dropline.data-dir-locks');
  const registry = globalThis as unknown as Record<symbol, Set<string> | undefined>;
  return (registry[slot] ??= new Set<string>());
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readLockFile(path: string): LockOwner | undefined {
  try {
    return parseLockFile(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
