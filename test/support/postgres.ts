import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import type { Pool } from 'pg';
import { createPostgresPool } from '@dropline/event-store';
import { openReadModels } from '@dropline/projections';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const templateSqlFiles: string[] = require('../template-sql-files');

/** A throwaway database on the DATABASE_URL server, with the template schema applied. */
export interface TestPostgresDatabase {
  /** Connection URL of the new database (hand it to a child process, e.g. an engine). */
  url: string;
  pool: Pool;
  /** Ends the pool and drops the database. */
  drop(): Promise<void>;
}

const isCi = () => process.env.CI === 'true';

/**
 * Creates a uniquely named database (dl_<run>_<prefix>_<random>) so test files running in
 * parallel never see each other's events. The schema of test/template-sql-files.js and the
 * read-model migrations are applied.
 */
export async function createTestPostgresDatabase(
  prefix: string,
  options: { poolSize?: number; /** An empty database: no template schema, no migrations. */ empty?: boolean } = {},
): Promise<TestPostgresDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('DATABASE_URL is not set: cannot create a PostgreSQL test database');
  const runId = process.env.DROPLINE_TEST_RUN_ID ?? 'local';
  const safePrefix = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  const name = `dl_${runId}_${safePrefix}_${randomBytes(4).toString('hex')}`;

  await withAdminClient(serverUrl, async (client) => {
    await client.query(`CREATE DATABASE "${name}"`);
    // Test data need not survive a crash: skipping the WAL flush per commit makes write-heavy
    // tests several times faster and changes nothing about visibility or ordering.
    await client.query(`ALTER DATABASE "${name}" SET synchronous_commit TO off`);
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = createPostgresPool(url.toString(), { max: options.poolSize ?? 10, applicationName: `test-${safePrefix}` });
  try {
    if (!options.empty) {
      for (const file of templateSqlFiles) await pool.query(readFileSync(file, 'utf8'));
      await (await openReadModels(pool)).destroy();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
  let dropped = false;
  return {
    url: url.toString(),
    pool,
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => undefined);
      await withAdminClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdminClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Call at the top of a describe body that needs PostgreSQL. Without DATABASE_URL the enclosing
 * describe is skipped, except with CI=true, where it fails instead: in CI a missing PostgreSQL
 * must never look like a green run. Returns the server URL when it is available.
 */
export function requirePostgres(): string | undefined {
  const url = process.env.DATABASE_URL;
  if (url) return url;
  if (isCi()) {
    it('has PostgreSQL (CI=true requires DATABASE_URL)', () => {
      throw new Error('CI=true but DATABASE_URL is not set');
    });
    return undefined;
  }
  skipCurrentDescribe();
  return undefined;
}

/** describe() that needs PostgreSQL: skipped without DATABASE_URL locally, failing with CI=true. */
export function describeWithPostgres(name: string, body: () => void): void {
  if (process.env.DATABASE_URL || isCi()) {
    describe(name, () => {
      if (requirePostgres()) body();
    });
  } else {
    describe.skip(name, body);
  }
}

// jest-circus has no public "skip the describe I am in" call. Its state object lives on the
// global under an unregistered symbol; marking the current block 'skip' is exactly what
// describe.skip does. If a jest upgrade moves it, tests fail loudly on the missing DATABASE_URL
// instead (createTestPostgresDatabase throws) — never a silent pass.
function skipCurrentDescribe(): void {
  const symbol = Object.getOwnPropertySymbols(globalThis).find((s) => s.description === 'JEST_STATE_SYMBOL');
  const state = symbol ? (globalThis as Record<symbol, { currentDescribeBlock?: { mode?: string; parent?: unknown } }>)[symbol] : undefined;
  const block = state?.currentDescribeBlock;
  if (block?.parent) block.mode = 'skip';
  else it.skip('needs PostgreSQL (DATABASE_URL is not set)', () => undefined);
}
