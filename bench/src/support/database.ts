import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** A throw-away database on the benchmark's PostgreSQL server. */
export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function onServer<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** How long drop() waits for a database's connections to close before it ends them. */
const DRAIN_MS = 2_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function backendsOf(client: Client, database: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [database],
  );
  return rows[0].n;
}

/** CREATE DATABASE bench_<label>_<random>; `drop()` removes it even with connections left open. */
export async function createBenchDatabase(serverUrl: string, label: string): Promise<BenchDatabase> {
  const name = `bench_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  let dropped = false;
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: async () => {
      // BENCH_KEEP_DB=1 keeps the databases for a look afterwards (drop them by hand).
      if (dropped || process.env.BENCH_KEEP_DB === '1') return;
      dropped = true;
      await onServer(serverUrl, async (c) => {
        // pg-pool's end() resolves before its sockets have closed: give the backends of a pool
        // that was just ended a moment to go, so that FORCE only ends connections really left
        // open (each one it ends logs a 57P01 "terminating connection" in the client that held it).
        const deadline = Date.now() + DRAIN_MS;
        while (Date.now() < deadline && (await backendsOf(c, name)) > 0) await sleep(25);
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

/** The settings that decide what a commit costs, printed with every run. */
export interface ServerSettings {
  version: string;
  fsync: string;
  synchronous_commit: string;
  full_page_writes: string;
  wal_level: string;
  shared_buffers: string;
  max_connections: string;
}

export async function serverSettings(serverUrl: string): Promise<ServerSettings> {
  return onServer(serverUrl, async (c) => {
    const names = ['fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'shared_buffers', 'max_connections'] as const;
    const { rows } = await c.query<{ name: string; setting: string }>(
      `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name = ANY($1)`,
      [names],
    );
    const by = Object.fromEntries(rows.map((r) => [r.name, r.setting]));
    const version = (await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
    return {
      version,
      fsync: by.fsync,
      synchronous_commit: by.synchronous_commit,
      full_page_writes: by.full_page_writes,
      wal_level: by.wal_level,
      shared_buffers: by.shared_buffers,
      max_connections: by.max_connections,
    };
  });
}
