import type { EventFilter } from './event-store.port';

/**
 * True when an event passes the filter as the port defines it: each list ORed within, the two
 * ANDed. For adapters and decorators that filter in memory (EventStoreDB's readAll, SharedLogReads);
 * apart from the adapters so that using it loads no store client.
 */
export function matchesFilter(event: { streamName: string; type: string }, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => event.streamName.startsWith(prefix))) return false;
  if (filter.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  return true;
}
