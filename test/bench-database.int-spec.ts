import { Client } from 'pg';
import { createBenchDatabase } from '../bench/src/support/database';
import { requirePostgres } from './support/postgres';

async function exists(serverUrl: string, name: string): Promise<boolean> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('createBenchDatabase (integration)', () => {
  const serverUrl = requirePostgres();
  if (!serverUrl) return;

  it('waits for connections that are closing on their own instead of ending them (no 57P01 in their clients)', async () => {
    // pg-pool's end() resolves before its sockets have closed; here the closing is made slow on
    // purpose (300 ms), so that a drop that does not wait would end the connections.
    const database = await createBenchDatabase(serverUrl, 'drain');
    const clients = Array.from({ length: 4 }, () => new Client({ connectionString: database.url }));
    const errors: string[] = [];
    for (const client of clients) client.on('error', (e) => errors.push((e as Error & { code?: string }).code ?? e.message));
    await Promise.all(clients.map((client) => client.connect()));
    const closed = new Promise((resolve) => setTimeout(resolve, 300)).then(() => Promise.all(clients.map((client) => client.end())));
    await database.drop();
    await closed;
    expect(errors).toEqual([]);
    expect(await exists(serverUrl, database.name)).toBe(false);
  });

  it('still drops a database with a connection left open, ending it', async () => {
    const database = await createBenchDatabase(serverUrl, 'left_open');
    const client = new Client({ connectionString: database.url });
    const ended = new Promise<string | undefined>((resolve) => client.on('error', (e) => resolve((e as Error & { code?: string }).code)));
    await client.connect();
    await database.drop();
    expect(await exists(serverUrl, database.name)).toBe(false);
    expect(await ended).toBe('57P01');
  });
});
