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
 * Filtered reads measureLag makes at most to find the first event a reader has left. A filtered
 * read scans a bounded stretch of the log (PostgreSQL: 1,000 events, EventStoreDB: 10 pages) and
 * may end with no event, a moved position and isEnd false; the next read goes on from there.
 */
export const LAG_READS = 20;

/**
 * Measures a reader's lag from its position and filter: a filtered read of one event (read on
 * from where it got to while a bounded scan passed only other events, up to LAG_READS reads),
 * and only when something is left, the head's recorded time and (where the store can) a count.
 * Zero only when a read reached the end of the log and the store holds nothing back there
 * (pendingAfter: on PostgreSQL, events committed above the safe horizon an open transaction
 * holds; their lag in seconds is how long the oldest has waited, so it grows while the horizon is
 * held, and a stalled reader does not pass for a caught-up one). When LAG_READS reads found no event of the
 * reader's and not the end either, the seconds are measured from the first event of any kind
 * after the position: an upper bound, and not zero, since the reader has that stretch to pass.
 */
export async function measureLag(store: EventStore, position: string | undefined, filter?: EventFilter): Promise<ReaderLag> {
  const read = (from: string | undefined) => store.readAll({ fromPosition: from, maxCount: 1, ...(filter ? { filter } : {}) });
  let next = await read(position);
  for (let reads = 1; next.events.length === 0 && !next.isEnd && reads < LAG_READS; reads++) next = await read(next.position);
  let first = next.events[0];
  if (!first && next.isEnd) {
    // The end of what can be read; on PostgreSQL an open transaction may hold events back from it.
    const pending = await store.pendingAfter?.(position, filter);
    if (pending) return { lagSeconds: pending.oldestSeconds, lagEvents: pending.events };
    return { lagSeconds: 0, lagEvents: store.countAfter ? 0 : null };
  }
  first ??= (await store.readAll({ fromPosition: position, maxCount: 1 })).events[0];
  const head = await store.headRecordedAt();
  const lagEvents = store.countAfter ? await store.countAfter(position, filter) : null;
  const lagSeconds = head === undefined || first === undefined ? 0 : Math.max(0, (Date.parse(head) - Date.parse(first.recordedAt)) / 1000);
  return { lagSeconds, lagEvents };
}

/** How long a lag measurement from one position is shared (SharedLag). */
export const LAG_TTL_MS = 1000;

/**
 * One reader's lag, measured at most once per `ttlMs` from one position and shared by every
 * caller meanwhile, a measurement in flight included. The lag is read by every readiness probe
 * (`/health/ready` is public), metrics scrape and read-model answer, and measuring it reads the
 * log: with a reader far behind, `countAfter` counts what is left. So callers must not multiply
 * it: a loop of anonymous probes costs the store one measurement per reader a second. A reader
 * that moved is measured again at once; a failed measurement is not kept, and neither is a zero
 * once it has been answered: events may arrive while a caught-up reader stands still, and a
 * caught-up reader's measurement is cheap (one read that finds the end; on PostgreSQL, one look past it).
 */
export class SharedLag {
  private last: { position: string | undefined; at: number; value: Promise<ReaderLag> } | undefined;

  constructor(
    private readonly ttlMs = LAG_TTL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  of(position: string | undefined, measure: () => Promise<ReaderLag>): Promise<ReaderLag> {
    const now = this.now();
    const last = this.last;
    if (last && last.position === position && now - last.at < this.ttlMs) return last.value;
    const entry = { position, at: now, value: measure() };
    this.last = entry;
    const forget = () => {
      if (this.last === entry) this.last = undefined;
    };
    entry.value.then((lag) => {
      if (lag.lagSeconds === 0 && !lag.lagEvents) forget();
    }, forget);
    return entry.value;
  }
}
