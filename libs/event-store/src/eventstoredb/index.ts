// The EventStoreDB adapter's own entry (`@dropline/event-store/eventstoredb`): importing it loads the
// gRPC client, which the main barrel does not (openEventStoreDb loads it when that mode is chosen).
export { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventstoredb.event-store';
