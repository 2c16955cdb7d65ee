import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEvent } from '../event-store.contract';
import { DATA_DIR_LOCK_FILE, lockDataDir } from './data-dir.lock';
import { createEmbeddedDatabase } from './embedded-database';
import { PostgresEventStore } from './postgres.event-store';
import { ensureEventStoreSchema } from './postgres.schema';

describe('embedded database data directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dropline-datadir-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a directory locked by a live process, naming DATA_DIR', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, DATA_DIR_LOCK_FILE), `${other.pid}\n`);
      expect(() => lockDataDir(dir)).toThrow(new RegExp(`DATA_DIR ${dir} is in use by process ${other.pid}`));
    } finally {
      other.kill();
    }
  });

  it('refuses a second open from this process too', () => {
    const lock = lockDataDir(dir);
    try {
      expect(() => lockDataDir(dir)).toThrow(/DATA_DIR .* is in use/);
    } finally {
      lock.release();
    }
    expect(existsSync(join(dir, DATA_DIR_LOCK_FILE))).toBe(false);
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dead = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => dead.on('exit', resolve));
    writeFileSync(join(dir, DATA_DIR_LOCK_FILE), `${dead.pid}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(lock.path, 'utf8').split('\n')[0]).toBe(String(process.pid));
    lock.release();
  });

  it('persists events across close and reopen', async () => {
    const first = await createEmbeddedDatabase({ dataDir: dir });
    await ensureEventStoreSchema(first.pool);
    await new PostgresEventStore(first.pool).appendToStream('drop-1', [newEvent('DropOpened')], 'no_stream');
    const bigint = await first.pool.query('SELECT 9007199254740993::bigint AS n');
    expect(bigint.rows[0].n).toBe('9007199254740993');
    await expect(createEmbeddedDatabase({ dataDir: dir })).rejects.toThrow(/DATA_DIR/);
    await first.close();

    const second = await createEmbeddedDatabase({ dataDir: dir });
    try {
      const events = await new PostgresEventStore(second.pool).readStream('drop-1');
      expect(events.map((e) => e.type)).toEqual(['DropOpened']);
    } finally {
      await second.close();
    }
  }, 120_000);

  it("runs with 32 MB of shared buffers and PGlite's own settings (EMBEDDED_START_PARAMS), on disk and in memory", async () => {
    for (const dataDir of [dir, 'memory://']) {
      const db = await createEmbeddedDatabase({ dataDir });
      try {
        const shown = await db.pool.query(
          "SELECT current_setting('shared_buffers') AS shared_buffers, current_setting('max_worker_processes') AS workers",
        );
        expect(shown.rows[0]).toEqual({ shared_buffers: '32MB', workers: '0' });
      } finally {
        await db.close();
      }
    }
  }, 120_000);
});
