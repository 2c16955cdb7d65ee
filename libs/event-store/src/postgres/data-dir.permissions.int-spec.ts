import { PGlite } from '@electric-sql/pglite';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEvent } from '../event-store.contract';
import { createEmbeddedDatabase } from './embedded-database';
import { PostgresEventStore } from './postgres.event-store';
import { ensureEventStoreSchema } from './postgres.schema';

/** Every entry under root (root included) with its permission bits, as `mode path` lines. */
function modes(root: string): { dirs: string[]; files: string[] } {
  const dirs: string[] = [];
  const files: string[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    const line = `${(stat.mode & 0o7777).toString(8)} ${path}`;
    if (stat.isDirectory()) {
      dirs.push(line);
      for (const name of readdirSync(path)) visit(join(path, name));
    } else {
      files.push(line);
    }
  };
  visit(root);
  return { dirs, files };
}

function expectPrivate(root: string): void {
  const { dirs, files } = modes(root);
  expect(files.length).toBeGreaterThan(100); // a whole PGlite cluster, not an empty directory
  expect(dirs.filter((line) => !line.startsWith('700 '))).toEqual([]);
  expect(files.filter((line) => !line.startsWith('600 '))).toEqual([]);
}

async function appendEvents(store: PostgresEventStore, prefix: string, streams: number, perStream: number): Promise<void> {
  for (let s = 0; s < streams; s++) {
    const events = Array.from({ length: perStream }, (_, i) => newEvent('PreOrderPlaced', { i, note: 'x'.repeat(200) }));
    await store.appendToStream(`${prefix}-${s}`, events, 'no_stream');
  }
}

describe('embedded database permissions', () => {
  let root: string;
  let previousUmask: number;
  beforeAll(() => {
    // The usual umask: what the engine must not depend on (PGlite ignores it anyway, writing 0666).
    previousUmask = process.umask(0o022);
  });
  afterAll(() => process.umask(previousUmask));
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dropline-perms-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('leaves every directory 0700 and every file 0600 after a write-heavy run', async () => {
    const dataDir = join(root, 'data');
    const db = await createEmbeddedDatabase({ dataDir });
    const store = new PostgresEventStore(db.pool);
    try {
      await ensureEventStoreSchema(db.pool);
      await appendEvents(store, 'drop', 30, 100);
      const count = await db.pool.query('SELECT count(*) AS n FROM events');
      expect(count.rows[0].n).toBe('3000');
    } finally {
      await store.close();
      await db.close();
    }
    expectPrivate(dataDir);
  }, 120_000);

  it('makes a DATA_DIR an older version left 0755 with 0644/0666 files private at start and keeps it so', async () => {
    // What an older version left: DATA_DIR made 0755, PGlite's own 0755 directories and 0666 files,
    // and some files 0644 (e.g. copied in or restored from a backup).
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const older = new PGlite({ dataDir });
    await older.query('CREATE TABLE legacy (n int)');
    await older.close();
    const before = modes(dataDir);
    before.files.slice(0, 20).forEach((line) => chmodSync(line.slice(line.indexOf(' ') + 1), 0o644));
    const loose = modes(dataDir);
    expect(loose.dirs.every((line) => line.startsWith('755 '))).toBe(true);
    expect(loose.files.some((line) => line.startsWith('666 '))).toBe(true);
    expect(loose.files.some((line) => line.startsWith('644 '))).toBe(true);

    const db = await createEmbeddedDatabase({ dataDir });
    const store = new PostgresEventStore(db.pool);
    try {
      expectPrivate(dataDir); // already at start, not only after a clean shutdown
      await ensureEventStoreSchema(db.pool);
      await appendEvents(store, 'restarted', 20, 100);
    } finally {
      await store.close();
      await db.close();
    }
    expectPrivate(dataDir);
  }, 120_000);
});
