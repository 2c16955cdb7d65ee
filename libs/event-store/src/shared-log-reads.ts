import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from './event-store.port';
import { matchesFilter } from './event-filter';

/** Options of SharedLogReads. */
export interface SharedLogReadsOptions {
  /** Most events the window keeps; when it grows past this, its oldest quarter is dropped (default 20,000). */
  windowSize?: number;
  /** Events one read of the inner store adds to the window (default 1,000). */
  readCount?: number;
  /** Most inner reads one readAll may wait for before it answers with what it has (default 8). */
  readsPerCall?: number;
  /**
   * Only for a store this process alone appends to (the embedded default: DATA_DIR's lock keeps
   * every other process out of it). A read at the window's end is then answered from memory, with
   * no inner read, while no append through this store has ended since an inner read found the end,
   * for up to this many ms after that read (a re-check bounds what an append that bypassed this
   * store could wait). Default 0: every read at the end asks the inner store, as it must when other
   * processes append (PostgreSQL server mode, EventStoreDB).
   */
  soleWriterRecheckMs?: number;
}

const DEFAULT_WINDOW_SIZE = 20_000;
const DEFAULT_READ_COUNT = 1_000;
const DEFAULT_READS_PER_CALL = 8;
const DEFAULT_MAX_COUNT = 1_000;
/** A window nobody extended for this long may start over at a later position. */
const STALE_MS = 1_000;
/** Once the log has been idle this long, the window keeps only its newest IDLE_KEEP events (memory of an idle engine). */
const IDLE_MS = 5_000;
const IDLE_KEEP = 1_000;

/** One unfiltered read of the inner store that extends the window, shared by every caller waiting at its end. */
interface Extension {
  /** The clock when the read was sent: a caller takes its isEnd only if it was sent after the last append completed before the call. */
  sentAt: number;
  done: Promise<ReadAllResult>;
  /** Whether what it read was added to the window (not when the window's end moved meanwhile: forgetAfter, a rebase). */
  applied: boolean;
}

/**
 * The global log read once for every reader of one process. The engine runs several readers of
 * the log (projections, the restock reactor, the scheduler's index, the in-process consumer
 * feeds), each with its own checkpoint and filter, and at the head of the log they all read the
 * same new events: without this each of them queried and parsed every event on its own.
 *
 * SharedLogReads decorates an EventStore and keeps a window of the most recent events it read,
 * unfiltered and in log order. A readAll from a position inside the window is answered from it,
 * with the filter applied in memory; a reader that reaches the window's end waits for ONE
 * unfiltered read of the inner store that extends the window for everyone (callers arriving while
 * it is in flight share it). A read from a position outside the window (a reader far behind, a
 * replay, an export) goes to the inner store as it is.
 *
 * The port's semantics hold: the events are those the inner store would return for the filter, in
 * the same order; `position` is past everything scanned; `isEnd` is only reported from a read of
 * the inner store sent after every append through this store that had completed when the call
 * began, so a caller that appended and then reads sees its events (read-your-writes), as with the
 * inner store. Readers receive shared event
 * objects and must not change them (none does: events are facts).
 *
 * Every other method goes to the inner store unchanged.
 */
export class SharedLogReads implements EventStore {
  private readonly windowSize: number;
  private readonly readCount: number;
  private readonly readsPerCall: number;
  /** The window: events in log order, unfiltered. */
  private events: RecordedEvent[] = [];
  /** Position before events[0] (undefined = the start of the log); meaningful once `started`. */
  private base: string | undefined;
  private started = false;
  /** Index in `events` of each event's position. */
  private readonly index = new Map<string, number>();
  private extension: Extension | undefined;
  /** When an inner read last extended the window, and when one last brought events (Date.now()). */
  private extendedAt = 0;
  private grewAt = 0;
  /** Counts appends and inner reads, so a read can be told to have been sent after an append completed. */
  private clock = 0;
  /** The clock when an append through this store last ended (failed ones too): reads sent before it may miss its events. */
  private appendedAt = 0;
  private readonly soleWriterRecheckMs: number;
  /** The last inner read that found the end of the log: when it was sent (clock), when it came back (Date.now()), where the window then ended. */
  private endSeen: { sentAt: number; at: number; end: string | undefined } | undefined;

  readonly countAfter?: EventStore['countAfter'];
  readonly pendingAfter?: EventStore['pendingAfter'];
  readonly readEvent?: EventStore['readEvent'];
  readonly readCausedBy?: EventStore['readCausedBy'];

  constructor(
    private readonly inner: EventStore,
    options: SharedLogReadsOptions = {},
  ) {
    this.windowSize = options.windowSize ?? DEFAULT_WINDOW_SIZE;
    this.readCount = options.readCount ?? DEFAULT_READ_COUNT;
    this.readsPerCall = options.readsPerCall ?? DEFAULT_READS_PER_CALL;
    this.soleWriterRecheckMs = options.soleWriterRecheckMs ?? 0;
    // The optional methods stay optional: a store without them keeps callers' fallbacks.
    if (inner.countAfter) this.countAfter = inner.countAfter.bind(inner);
    if (inner.pendingAfter) this.pendingAfter = inner.pendingAfter.bind(inner);
    if (inner.readEvent) this.readEvent = inner.readEvent.bind(inner);
    if (inner.readCausedBy) this.readCausedBy = inner.readCausedBy.bind(inner);
  }

  get maxAppendBytes(): number {
    return this.inner.maxAppendBytes;
  }

  appendSize(events: readonly NewEvent[]): number {
    return this.inner.appendSize(events);
  }

  async appendToStream(streamName: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    try {
      return await this.inner.appendToStream(streamName, events, expectedRevision);
    } finally {
      // A failed append may still have committed (the connection lost after COMMIT): it counts too.
      this.appendedAt = ++this.clock;
    }
  }

  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.inner.readStream(streamName, options);
  }

  subscribeToAll(options?: SubscribeOptions): Subscription {
    return this.inner.subscribeToAll(options);
  }

  comparePositions(a: string, b: string): number {
    return this.inner.comparePositions(a, b);
  }

  headRecordedAt(): Promise<string | undefined> {
    return this.inner.headRecordedAt();
  }

  close(): Promise<void> {
    this.endSeen = undefined;
    this.events = [];
    this.index.clear();
    return this.inner.close();
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const maxCount = options.maxCount ?? DEFAULT_MAX_COUNT;
    // A read sent after the last append this process completed before the call may answer its end.
    const mustFollow = this.appendedAt;
    if (options.fresh) {
      // What the window kept after this position may be what the store no longer holds.
      this.forgetAfter(options.fromPosition);
      return this.inner.readAll(options);
    }
    let at = this.locate(options.fromPosition);
    if (at === undefined) return this.inner.readAll(options);
    const out: RecordedEvent[] = [];
    // The last position scanned: the window's event at `at`, or the caller's own position before any.
    let scanned = options.fromPosition;
    // Hands out the window's events after index `from` that pass the filter, until maxCount; true when full.
    const scan = (from: number): boolean => {
      for (let i = from + 1; i < this.events.length; i++) {
        const event = this.events[i];
        scanned = event.position;
        if (!matchesFilter(event, options.filter)) continue;
        out.push(event);
        if (out.length >= maxCount) return true;
      }
      return false;
    };
    for (let reads = 0; ; reads++) {
      // Full: the page ends at the last event handed out, which is where `scanned` stopped.
      if (scan(at)) return { events: out, position: scanned, isEnd: false };
      if (reads >= this.readsPerCall) return { events: out, position: scanned, isEnd: false };
      // The sole writer's end, unchanged since an inner read found it after every append: no read needed.
      if (this.extension === undefined && this.endIsKnown()) return { events: out, position: scanned, isEnd: true };
      const extension = this.extension ?? this.extend();
      const result = await extension.done;
      const resumed = this.locate(scanned);
      // The window moved on without this caller (rebased, or the events it scanned were dropped).
      if (resumed === undefined) return { events: out, position: scanned, isEnd: false };
      at = resumed;
      // Its end is the window's only when what it read was added there (else read again from the window's end).
      if (result.isEnd && extension.sentAt > mustFollow && extension.applied) {
        // The inner store's end, read after every append the caller can know of: hand out what the read added, and stop.
        const full = scan(at);
        return { events: out, position: scanned, isEnd: !full || scanned === this.events.at(-1)?.position };
      }
    }
  }

  /**
   * Where `position` sits in the window: -1 for its base, the index of the event at it, or
   * undefined when the window does not hold it (the caller then reads the inner store). The window
   * starts at the first position asked for, and starts over at a later one only when nobody has
   * extended it for STALE_MS (its readers all went elsewhere): a reader briefly ahead of the others
   * must not throw them out of it.
   */
  private locate(position: string | undefined): number | undefined {
    if (this.started && position === this.base) return -1;
    if (position !== undefined) {
      const at = this.index.get(position);
      if (at !== undefined) return at;
    }
    if (this.started && (this.extension !== undefined || Date.now() - this.extendedAt < STALE_MS)) return undefined;
    const end = this.events.at(-1)?.position ?? this.base;
    const ahead = !this.started || (position !== undefined && (end === undefined || this.inner.comparePositions(position, end) > 0));
    if (!ahead) return undefined;
    this.events = [];
    this.index.clear();
    this.base = position;
    this.started = true;
    return -1;
  }

  /**
   * Whether the window's end is the log's end without asking the inner store: only with
   * soleWriterRecheckMs, when the last inner read found the end, was sent after the last append
   * through this store ended, left the window ending where it still ends, and is recent enough.
   */
  private endIsKnown(): boolean {
    const seen = this.endSeen;
    return (
      seen !== undefined &&
      seen.sentAt > this.appendedAt &&
      Date.now() - seen.at < this.soleWriterRecheckMs &&
      seen.end === (this.events.at(-1)?.position ?? this.base)
    );
  }

  /** Reads the log after the window's end, unfiltered, once for every caller waiting there. */
  private extend(): Extension {
    const from = this.events.at(-1)?.position ?? this.base;
    const extension: Extension = {
      sentAt: ++this.clock,
      applied: false,
      done: this.inner.readAll({ fromPosition: from, maxCount: this.readCount }).then(
        (result) => {
          this.extension = undefined;
          this.extendedAt = Date.now();
          // Only if the window still ends where the read began (close() or a rebase may have reset it).
          const end = this.events.at(-1)?.position ?? this.base;
          if (end === from) {
            extension.applied = true;
            this.append(result.events);
            this.endSeen = result.isEnd
              ? { sentAt: extension.sentAt, at: this.extendedAt, end: this.events.at(-1)?.position ?? this.base }
              : undefined;
          }
          if (result.events.length > 0) this.grewAt = this.extendedAt;
          else if (result.isEnd && this.extendedAt - this.grewAt > IDLE_MS) this.trim(IDLE_KEEP);
          return result;
        },
        (error: unknown) => {
          this.extension = undefined;
          throw error;
        },
      ),
    };
    this.extension = extension;
    return extension;
  }

  private append(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      this.index.set(event.position, this.events.length);
      this.events.push(event);
    }
    // Past the window's size, drop its oldest quarter.
    if (this.events.length > this.windowSize) this.trim(Math.floor((this.windowSize * 3) / 4));
  }

  /**
   * Drops the window's events after `position` (all of them from its base), so the next read
   * there goes to the inner store: a stored event fixed or deleted by hand is not served from
   * memory again. An extension in flight then finds the window's end moved and keeps nothing.
   */
  private forgetAfter(position: string | undefined): void {
    const at = this.started && position === this.base ? -1 : position === undefined ? undefined : this.index.get(position);
    if (at === undefined) return;
    for (let i = at + 1; i < this.events.length; i++) this.index.delete(this.events[i].position);
    this.events.length = at + 1;
    this.endSeen = undefined;
  }

  /** Keeps the newest `keep` events; the base becomes the last dropped event's position. */
  private trim(keep: number): void {
    const drop = this.events.length - keep;
    if (drop <= 0) return;
    this.base = this.events[drop - 1].position;
    this.events = this.events.slice(drop);
    this.index.clear();
    for (let i = 0; i < this.events.length; i++) this.index.set(this.events[i].position, i);
  }
}
