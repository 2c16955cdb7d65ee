import type { EventFilter, EventStore } from './event-store.port';

/** How far a reader of the global log (a projection, the relay) is behind it, in the units every store can give. */
export interface ReaderLag {
  /**
   * Seconds behind, on the store's clock: the recorded time of the log's head minus that of the
   * first event the reader has not processed yet (the one right after its checkpoint), 0 when it
   * has nothing left to process. Measured from that event rather than from the checkpoint's own,
   * so a single new event after a quiet hour is not an hour of lag.
   */
  lagSeconds: number;
  /**
   * Events after the reader's position that pass its filter (what it would handle: other streams'
   * traffic, e.g. storefront visits, is not lag), 0 when nothing is left; null where the store
   * cannot count (no countAfter).
   */
  lagEvents: number | null;
}

/**
 * Measures a reader's lag from its position and filter: one filtered read of one event, and
 * only when something is left, the head's recorded time and (where the store can) a count.
 */
export async function measureLag(store: EventStore, position: string | undefined, filter?: EventFilter): Promise<ReaderLag> {
  const next = await store.readAll({ fromPosition: position, maxCount: 1, ...(filter ? { filter } : {}) });
  const first = next.events[0];
  if (!first) return { lagSeconds: 0, lagEvents: store.countAfter ? 0 : null };
  const head = await store.headRecordedAt();
  const lagEvents = store.countAfter ? await store.countAfter(position, filter) : null;
  const lagSeconds = head === undefined ? 0 : Math.max(0, (Date.parse(head) - Date.parse(first.recordedAt)) / 1000);
  return { lagSeconds, lagEvents };
}
