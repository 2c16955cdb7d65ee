import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEvent } from '../event-store.contract';
import { DATA_DIR_LOCK_FILE, formatLockFile, lockDataDir, lockOwnerOf, parseLockFile, type LockOwner } from './data-dir.lock';
import { createEmbeddedDatabase } from './embedded-database';
import { PostgresEventStore } from './postgres.event-store';
import { ensureEventStoreSchema } from './postgres.schema';

// Real processes and a real PGlite on disk: the lock is about who else runs on this machine.
describe('DATA_DIR lock', () => {
  let dir: string;
  let lockFile: string;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dropline-lock-'));
    lockFile = join(dir, DATA_DIR_LOCK_FILE);
  });
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const self = (): LockOwner => {
    const owner = lockOwnerOf(process.pid);
    // These tests run where /proc tells start times (Linux); elsewhere the lock falls back to pid liveness.
    expect(owner.start).toMatch(/^\d+$/);
    return owner;
  };
  const live = async (): Promise<LockOwner> => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(child);
    await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    const owner = lockOwnerOf(child.pid!);
    expect(owner.start).toMatch(/^\d+$/);
    return owner;
  };
  const deadPid = async (): Promise<number> => {
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => dead.once('exit', resolve));
    return dead.pid!;
  };

  it('restarts a store whose lock holds its own pid from an earlier start (PID 1 in a container), and refuses a second open meanwhile', async () => {
    // What a crashed engine running as PID 1 leaves for the next PID 1 of the restarted container.
    writeFileSync(lockFile, formatLockFile({ ...self(), start: '1' }));
    const first = await createEmbeddedDatabase({ dataDir: dir });
    try {
      expect(parseLockFile(readFileSync(lockFile, 'utf8'))).toEqual(self());
      await ensureEventStoreSchema(first.pool);
      await new PostgresEventStore(first.pool).appendToStream('drop-1', [newEvent('DropOpened')], 'no_stream');
      // The file cannot tell this open from an earlier process with our pid; the process can.
      await expect(createEmbeddedDatabase({ dataDir: dir })).rejects.toThrow(
        new RegExp(`DATA_DIR ${dir} is in use by this process \\(${process.pid}\\): it is already open here`),
      );
      expect(() => lockDataDir(`${dir}/`)).toThrow(/is in use by this process/);
    } finally {
      await first.close();
    }
    expect(existsSync(lockFile)).toBe(false);

    const second = await createEmbeddedDatabase({ dataDir: dir });
    try {
      const events = await new PostgresEventStore(second.pool).readStream('drop-1');
      expect(events.map((e) => e.type)).toEqual(['DropOpened']);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('takes over an old-format lock (a pid alone) holding its own pid when no open here holds it', () => {
    writeFileSync(lockFile, `${process.pid}\n`);
    const lock = lockDataDir(dir);
    try {
      expect(parseLockFile(readFileSync(lockFile, 'utf8'))).toEqual(self());
    } finally {
      lock.release();
    }
  });

  it('refuses a lock held by another live process, and takes it over once that pid belongs to another process', async () => {
    const other = await live();
    writeFileSync(lockFile, formatLockFile(other));
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`DATA_DIR ${dir} is in use by process ${other.pid}`));
    expect(parseLockFile(readFileSync(lockFile, 'utf8'))).toEqual(other);

    // The same pid with another start time: the holder is gone and its pid was reused.
    writeFileSync(lockFile, formatLockFile({ ...other, start: String(Number(other.start) + 1) }));
    const lock = lockDataDir(dir);
    expect(parseLockFile(readFileSync(lockFile, 'utf8'))).toEqual(self());
    lock.release();
  });

  it('takes over a lock whose process is gone, recording pid, host, boot id and start time', async () => {
    const pid = await deadPid();
    writeFileSync(lockFile, formatLockFile({ ...self(), pid, start: '12345' }));
    const lock = lockDataDir(dir);
    try {
      const text = readFileSync(lockFile, 'utf8');
      expect(parseLockFile(text)).toEqual(self());
      expect(self()).toMatchObject({ host: hostname(), boot: expect.stringMatching(/\S/) });
      // The pid alone on the first line: an older version reading the lock still finds it.
      expect(Number.parseInt(text, 10)).toBe(process.pid);
    } finally {
      lock.release();
    }
  });

  it('takes over a lock written before the machine rebooted, even if its pid runs again', async () => {
    const other = await live();
    writeFileSync(lockFile, formatLockFile({ ...other, boot: '00000000-0000-0000-0000-000000000000' }));
    lockDataDir(dir).release();
  });

  it('refuses, and does not take over, a lock from another host', async () => {
    // Its pid means nothing here: dead here, or even ours, the holder may well run over there.
    for (const pid of [await deadPid(), process.pid]) {
      const content = formatLockFile({ pid, host: `not-${hostname()}`, boot: 'b', start: '1' });
      writeFileSync(lockFile, content);
      expect(() => lockDataDir(dir)).toThrow(
        new RegExp(`DATA_DIR ${dir} is locked by process ${pid} on host not-${hostname()} .*delete the lock file`),
      );
      expect(readFileSync(lockFile, 'utf8')).toBe(content);
    }
  });
});
