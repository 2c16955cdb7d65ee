import type { EventStoreDbEventStore, EventStoreDbEventStoreOptions } from './eventstoredb.event-store';

/**
 * The EventStoreDB adapter for a connection string, its module (and with it the gRPC client) loaded
 * at this call: about 170 ms of every start otherwise, in the modes that never use it.
 */
export function openEventStoreDb(connectionString: string, options: EventStoreDbEventStoreOptions = {}): EventStoreDbEventStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when EVENT_STORE=eventstoredb
  const { EventStoreDbEventStore } = require('./eventstoredb.event-store') as typeof import('./eventstoredb.event-store');
  return EventStoreDbEventStore.fromConnectionString(connectionString, options);
}
