import { describeEventStoreContract } from '../event-store.contract';
import { EventStoreDbEventStore } from './eventstoredb.event-store';

// Runs only where an EventStoreDB is reachable (ESDB_CONNECTION_STRING, e.g.
// esdb://localhost:2113?tls=false). Unlike PostgreSQL it is optional in CI.
const connectionString = process.env.ESDB_CONNECTION_STRING;

if (connectionString) {
  describeEventStoreContract(
    'EventStoreDB adapter',
    async () => {
      const store = EventStoreDbEventStore.fromConnectionString(connectionString);
      return { store, dispose: () => store.close() };
    },
    { lookups: false },
  );
} else {
  describe.skip('EventStore contract: EventStoreDB adapter (ESDB_CONNECTION_STRING not set)', () => {
    it('needs an EventStoreDB server', () => undefined);
  });
}
