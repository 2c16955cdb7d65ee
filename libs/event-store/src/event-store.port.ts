/**
 * The one event store port. The command path, projections, the relay, exports and
 * replays all talk to the store through this interface and nothing else.
 *
 * Revisions are 0-based stream versions (no stream = -1). Global positions are opaque
 * strings: only the adapter that produced one may interpret it.
 */

/** What the appender expects the stream to look like. A number is an exact revision. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

/** Envelope fields chosen by the writer (the store adds stream, revision, position, recordedAt). */
export interface EventMetadata {
  correlationId: string;
  causationId: string | null;
  /** Who caused the event: a token subject, `anonymous`, or `system:<component>`. */
  actor: string;
  /** ISO-8601 time the fact happened in the domain (from the command's clock). */
  occurredAt: string;
  /** W3C trace context of the request that caused the event. */
  traceparent: string;
}

/**
 * An event to append. `eventId` is a UUID chosen by the writer. The port promises nothing about
 * an id that is already stored: PostgreSQL and PGlite refuse it (DuplicateEventIdError), while
 * EventStoreDB answers success without writing only while the id is in its bounded in-memory
 * cache and writes a second copy after eviction or a restart. A writer that must not duplicate
 * appends with an exact expected revision, or checks the stream (its state) before appending.
 */
export interface NewEvent<D = Record<string, unknown>> {
  eventId: string;
  type: string;
  schemaVersion: number;
  data: D;
  metadata: EventMetadata;
}

/** An event as stored, with the full envelope. */
export interface RecordedEvent<D = Record<string, unknown>> extends NewEvent<D> {
  streamName: string;
  /** 0-based revision within its stream. */
  revision: number;
  /** Opaque global-log position; compare only by passing it back to the same store. */
  position: string;
  /** ISO-8601 time the store committed the event. */
  recordedAt: string;
  /**
   * Set (with empty data/metadata) when the adapter could not decode the stored payload, so one
   * corrupted event is reported by the reader at its position instead of failing the whole read.
   */
  decodeError?: string;
}

export interface AppendResult {
  /** Revision of the last appended event (pass it as the next expected revision). */
  nextExpectedRevision: number;
  /** Global position of the last appended event. */
  position: string;
}

export interface ReadStreamOptions {
  direction?: 'forwards' | 'backwards';
  /** Inclusive start revision; defaults to the start (forwards) or the end (backwards). */
  fromRevision?: number;
  maxCount?: number;
}

/** Server-side filter for the global log. Both lists are ORed within, ANDed across. */
export interface EventFilter {
  /** e.g. `['drop-', 'return-']`; matched against the stream name. */
  streamPrefixes?: string[];
  eventTypes?: string[];
}

export interface ReadAllOptions {
  /** Exclusive: events after this position. Undefined = from the start of the log. */
  fromPosition?: string;
  maxCount?: number;
  filter?: EventFilter;
  /**
   * Read the store itself, never a copy of the log kept in memory (SharedLogReads): a reader
   * stalled at a bad event looks again this way, so a store fixed by hand (the row updated or
   * deleted) is seen.
   */
  fresh?: boolean;
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /**
   * Where to continue from: past everything this read scanned, including events the filter left
   * out, so the next read never scans them again (on PostgreSQL never past the gap-safe horizon).
   * That is the last returned event when `maxCount` cut the read short, else the last event
   * scanned, else the given position. A read may return no events with a position that moved
   * and `isEnd` false: it passed non-matching events and more of the log follows.
   */
  position: string | undefined;
  /** True when the read reached the current safe end of the log. */
  isEnd: boolean;
}

export interface SubscribeOptions {
  fromPosition?: string;
  filter?: EventFilter;
  /** Events fetched per round trip while catching up. */
  batchSize?: number;
}

/**
 * A catch-up-then-live subscription to the global log, read with `for await`.
 * It resubscribes with backoff when the connection drops; `close()` ends the iteration.
 */
export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

/** Events committed after a reader's position that it cannot read yet (EventStore.pendingAfter). */
export interface PendingEvents {
  events: number;
  /** How long the oldest of them has waited since it was recorded, on the store's clock. */
  oldestSeconds: number;
}

export interface EventStore {
  /**
   * Most bytes one atomic append may carry, as appendSize counts them. An append whose appendSize
   * is within it is never refused for its size; one the store cannot take for its size fails with
   * AppendTooLargeError and writes nothing. Writers cut larger batches into parts that fit
   * (AggregateWriter). docs/event-store.md, "Append size".
   */
  readonly maxAppendBytes: number;
  /**
   * Size of an append of `events` as this store counts it against maxAppendBytes (EventStoreDB:
   * as the server counts it). Additive: the size of an append is the sum of the sizes of its events,
   * so a writer may measure command by command. Throws what appendToStream would throw for an
   * event it cannot serialise.
   */
  appendSize(events: readonly NewEvent[]): number;
  /**
   * Appends atomically, or throws WrongExpectedRevisionError and appends nothing. Idempotency is
   * the caller's, by expected revision or by state: re-sending an event id is not (see NewEvent).
   */
  appendToStream(streamName: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Returns [] for a stream that does not exist. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<ReadAllResult>;
  subscribeToAll(options?: SubscribeOptions): Subscription;
  /**
   * Orders two positions of this store's global log (negative, zero, positive), so callers
   * can merge streams in log order without interpreting positions themselves.
   */
  comparePositions(a: string, b: string): number;
  /**
   * Number of events after `position` in the global log that pass `filter` (all of them without
   * one): a lag gauge, so a reader counts only what it would handle (every adapter has it, the
   * contract suite checks). A store that must read events to count them stops at a bound of its
   * own and returns that bound, which is then a lower bound (EventStoreDB: docs/event-store.md).
   */
  countAfter?(position: string | undefined, filter?: EventFilter): Promise<number>;
  /**
   * Events after `position` that pass `filter`, committed but not readable yet, and how long the
   * oldest of them has waited (seconds, on the store's clock); undefined when there are none.
   * Call it where a read found the end of the log. PostgreSQL only: its readers see the log
   * below the safe horizon, which one open transaction anywhere on the server holds back
   * (docs/event-store.md), and a held horizon must show as lag rather than as a caught-up reader.
   * Left out where a committed event is readable at once (EventStoreDB).
   */
  pendingAfter?(position: string | undefined, filter?: EventFilter): Promise<PendingEvents | undefined>;
  /**
   * ISO-8601 time the store recorded the last event of its global log (the head: any stream,
   * the store's own events included), undefined for an empty log. One cheap read on every store;
   * readers' lag in seconds is measured against it (measureLag).
   */
  headRecordedAt(): Promise<string | undefined>;
  /**
   * The event with this id, or undefined. PostgreSQL/PGlite: one lookup on the unique event_id
   * index. Optional: an adapter without an index by event id leaves it out (EventStoreDB), and
   * callers answer that the store cannot look events up (docs/event-store.md, "Causation").
   */
  readEvent?(eventId: string): Promise<RecordedEvent | undefined>;
  /**
   * The events whose envelope names `causationId`, in global-log order after `after` (exclusive,
   * a position from a previous page), at most `maxCount`. PostgreSQL/PGlite: an index on the
   * metadata's causationId. Optional like readEvent.
   */
  readCausedBy?(causationId: string, options: { after?: string; maxCount: number }): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/** Thrown by appendToStream when the stream is not at the expected revision. */
export class WrongExpectedRevisionError extends Error {
  readonly code = 'STORE.WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** Current revision, -1 for no stream, undefined if the store did not say. */
    readonly actual: number | undefined,
  ) {
    super(`Stream ${streamName}: expected revision ${String(expected)}, actual ${actual === undefined ? 'unknown' : actual}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/**
 * Thrown by appendToStream when the append is too large for the store (over maxAppendBytes, or
 * over a smaller limit the server itself enforces). Nothing was appended.
 */
export class AppendTooLargeError extends Error {
  readonly code = 'STORE.APPEND_TOO_LARGE';
  constructor(
    readonly streamName: string,
    /** The append's size as the store counts it, when known. */
    readonly size: number | undefined,
    readonly maxAppendBytes: number,
    override readonly cause?: unknown,
  ) {
    super(
      `Stream ${streamName}: an append of ${size === undefined ? 'unknown size' : `${size} bytes`} exceeds the limit of ${maxAppendBytes} bytes`,
    );
    this.name = 'AppendTooLargeError';
  }
}

/** Thrown when the store cannot be reached (mapped to 503 STORE.UNAVAILABLE over HTTP). */
export class StoreUnavailableError extends Error {
  readonly code = 'STORE.UNAVAILABLE';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}
