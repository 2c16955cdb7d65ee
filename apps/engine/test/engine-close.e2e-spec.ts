import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedDatabase } from '@dropline/event-store';
import { loadConfig } from '@dropline/platform';
import { createEngine } from '../src/app';
import { testAuthEnv } from '../../../libs/platform/src/testing/test-auth';
import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../test/support/postgres';

/**
 * An engine that opened its own databases (main.ts, benchmarks) closes them when it is closed,
 * after Nest's hooks have drained the writer and stopped the workers: PGlite checkpoints and
 * releases its DATA_DIR, and a server's pools end their sessions. (Its close() was once extended
 * by assignment, which the app NestFactory returns ignores: every stop skipped it.)
 */
const env = (extra: Record<string, string>) =>
  loadConfig({ ...testAuthEnv(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error', SCHEDULER_INTERVAL_MS: '3600000', ...extra });

describe('engine close (embedded)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'dropline-close-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('closes PGlite and releases the DATA_DIR: the same process can open it again', async () => {
    const app = await createEngine(env({ DATA_DIR: dataDir }));
    await app.init();
    await app.close();
    // An open DATA_DIR is refused, "locked by this process" included.
    const again = await createEmbeddedDatabase({ dataDir });
    try {
      expect((await again.pool.query('select count(*)::int as n from events')).rows[0].n).toBe(0);
    } finally {
      await again.close();
    }
  }, 120_000);
});

describeWithPostgres('engine close (PostgreSQL)', () => {
  let db: TestPostgresDatabase;
  beforeAll(async () => {
    db = await createTestPostgresDatabase('engine_close');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('ends its pools: no session of the engine is left on the server', async () => {
    const sessions = async () =>
      (
        await db.pool.query<{ application_name: string }>(
          `select application_name from pg_stat_activity where datname = current_database() and application_name like 'dropline-%' order by 1`,
        )
      ).rows.map((r) => r.application_name);
    const app = await createEngine(env({ EVENT_STORE: 'postgres', DATABASE_URL: db.url }));
    await app.init();
    expect(await sessions()).toEqual(expect.arrayContaining(['dropline-read-models', 'dropline-store']));
    await app.close();
    // A backend leaves pg_stat_activity a moment after its client disconnected (an idle one the
    // pool never ended would stay for its 30 s idle timeout).
    for (const deadline = Date.now() + 5_000; (await sessions()).length > 0 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await sessions()).toEqual([]);
  }, 120_000);
});
