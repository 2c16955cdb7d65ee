import { createTestPostgresDatabase, describeWithPostgres, type TestPostgresDatabase } from '../../../../test/support/postgres';
import { loadConfig } from '../config/app-config';
import { openDatabases } from './databases';

describeWithPostgres('openDatabases on a PostgreSQL server', () => {
  let db: TestPostgresDatabase;
  beforeAll(async () => {
    db = await createTestPostgresDatabase('open_databases');
  });
  afterAll(async () => db?.drop());

  const idleInTransactionTimeout = async (env: Record<string, string>) => {
    const databases = await openDatabases(loadConfig({ EVENT_STORE: 'postgres', DATABASE_URL: db.url, ...env }));
    try {
      const { rows } = await databases.readModels.query<{ value: string }>(
        `SELECT current_setting('idle_in_transaction_session_timeout') AS value`,
      );
      return rows[0].value;
    } finally {
      await databases.close();
    }
  };

  it('opens its sessions with PG_IDLE_IN_TRANSACTION_TIMEOUT_MS (10 s by default), so a paused engine cannot hold the log back for long', async () => {
    expect(await idleInTransactionTimeout({})).toBe('10s');
    expect(await idleInTransactionTimeout({ PG_IDLE_IN_TRANSACTION_TIMEOUT_MS: '2500' })).toBe('2500ms');
  });
});
