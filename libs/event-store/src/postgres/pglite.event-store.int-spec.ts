import { createTestEmbeddedDatabase } from '../../../../test/support/pglite';
import { describeEventStoreContract } from '../event-store.contract';
import { ensureEventStoreSchema } from './postgres.schema';
import { PostgresEventStore } from './postgres.event-store';

describeEventStoreContract('PostgreSQL adapter on PGlite', async () => {
  const db = await createTestEmbeddedDatabase();
  await ensureEventStoreSchema(db.pool);
  const store = new PostgresEventStore(db.pool);
  return {
    store,
    async dispose() {
      await store.close();
      await db.close();
    },
  };
});
