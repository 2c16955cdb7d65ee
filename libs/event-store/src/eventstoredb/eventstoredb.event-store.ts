import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  type WrongExpectedVersionError,
  jsonEvent,
  type AllStreamRecordedEvent,
  type AllStreamSubscription,
  type Position,
} from '@eventstore/db-client';
import {
  AppendTooLargeError,
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventFilter,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';
import { assertValidExpectedRevision } from '../expected-revision';
import { assertValidMaxAppendBytes } from '../append-size';
import { consoleEventStoreLogger, type EventStoreLogger } from '../event-store.logger';
import { StreamDeletedError, StreamTruncatedError } from '../stream-gone.errors';
import {
  compareEsdbPositions,
  ESDB_DEFAULT_MAX_APPEND_SIZE,
  esdbEventSize,
  formatEsdbPosition,
  fromEsdbCurrentRevision,
  fromEsdbEvent,
  isSystemEvent,
  matchesFilter,
  parseEsdbPosition,
  toEsdbEvent,
  toEsdbExpectedRevision,
  toEsdbSubscriptionFilter,
  type EsdbRecordedEventLike,
} from './eventstoredb.mapping';

/** Options of the EventStoreDB event store. */
export interface EventStoreDbEventStoreOptions {
  logger?: EventStoreLogger;
  /** First resubscribe delay after a dropped subscription; doubles up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /**
   * How long a call waits for the server (ESDB_DEADLINE_MS): an append for its answer, a read for
   * its next event, a subscription for its confirmation. The client sets no deadline on reads,
   * subscriptions and batch appends, so without this a hung server holds a request for ~16 s.
   */
  deadlineMs?: number;
  /** Raw events of `$all` per readAll round trip, whatever maxCount asks for. */
  readPageSize?: number;
  /** countAfter stops at this many events (and reads at most five times as many raw entries of `$all`). */
  countLimit?: number;
  /**
   * The server's MaxAppendSize (default ESDB_DEFAULT_MAX_APPEND_SIZE, 1 MiB). Set it when the
   * server's is raised or lowered: writers cut their batches by it.
   */
  maxAppendBytes?: number;
}

/** What the adapter uses of the client (unit tests pass counting and stalling fakes of it). */
export type EsdbClient = Pick<EventStoreDBClient, 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'>;

const DEFAULT_DEADLINE_MS = 5000;
const DEFAULT_READ_ALL_COUNT = 1000;
const DEFAULT_READ_PAGE_SIZE = 1000;
const DEFAULT_COUNT_LIMIT = 20_000;
/** One readAll call scans at most max(maxCount, SCAN_PAGES pages) raw entries, then returns where it got to. */
const SCAN_PAGES = 10;
/** Raw entries of `$all` countAfter reads per counted event at most (link and system events are not counted). */
const COUNT_SCAN_FACTOR = 5;

// The client reports transport failures as these error types (see its utils/CommandError). Batch
// appends report the server's not-ready and too-busy answers as `unknown`.
const UNAVAILABLE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader', 'cancelled', 'unknown']);
// The client's discovery (esdb+discover://, gossip seeds) gives up with a plain Error.
const DISCOVERY_FAILED = /^Failed to discover after \d+ attempts/;

/**
 * EventStore on EventStoreDB through @eventstore/db-client v6. Expected revisions map one to one;
 * the envelope travels in the metadata JSON. The v6 client's readAll has no server-side filter, so
 * readAll reads `$all` in raw pages of a fixed size and filters them here, returning a position
 * past everything it scanned; subscribeToAll filters on the server (event types or stream prefixes).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly logger: EventStoreLogger;
  private readonly subscriptions = new Set<EsdbSubscription>();
  private readonly deadlineMs: number;
  private readonly readPageSize: number;
  private readonly countLimit: number;
  readonly maxAppendBytes: number;

  constructor(
    private readonly client: EsdbClient,
    private readonly options: EventStoreDbEventStoreOptions = {},
  ) {
    this.logger = options.logger ?? consoleEventStoreLogger;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.readPageSize = options.readPageSize ?? DEFAULT_READ_PAGE_SIZE;
    this.countLimit = options.countLimit ?? DEFAULT_COUNT_LIMIT;
    this.maxAppendBytes = assertValidMaxAppendBytes(options.maxAppendBytes ?? ESDB_DEFAULT_MAX_APPEND_SIZE);
  }

  /** As the server counts it against MaxAppendSize (esdbEventSize). */
  appendSize(events: readonly NewEvent[]): number {
    let size = 0;
    for (const event of events) size += esdbEventSize(event);
    return size;
  }

  /** Connects with an `esdb://` / `esdb+discover://` connection string. */
  static fromConnectionString(connectionString: string, options?: EventStoreDbEventStoreOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  async appendToStream(streamName: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    assertValidExpectedRevision(expectedRevision);
    // Refused here rather than after sending a payload the server would refuse (or, before 25.0,
    // count differently): the same rule on every server version.
    const size = this.appendSize(events);
    if (size > this.maxAppendBytes) throw new AppendTooLargeError(streamName, size, this.maxAppendBytes);
    try {
      const result = await this.within(
        'appendToStream',
        // `deadline` also reaches the server, which then gives up on the append at the same time.
        this.client.appendToStream(
          streamName,
          events.map((event) => jsonEvent(toEsdbEvent(event))),
          { expectedRevision: toEsdbExpectedRevision(expectedRevision), deadline: this.deadlineMs },
        ),
      );
      return {
        nextExpectedRevision: Number(result.nextExpectedRevision),
        position: result.position ? formatEsdbPosition(result.position) : '',
      };
    } catch (error) {
      if (errorType(error) === 'wrong-expected-version') {
        const actual = (error as WrongExpectedVersionError).actualVersion;
        throw new WrongExpectedRevisionError(streamName, expectedRevision, fromEsdbCurrentRevision(actual));
      }
      if (errorType(error) === 'maximum-append-size-exceeded') {
        // The server's MaxAppendSize is below maxAppendBytes: writers bisect the batch until parts fit.
        const serverMax = (error as { maxAppendSize?: unknown }).maxAppendSize;
        throw new AppendTooLargeError(
          streamName,
          size,
          Number.isSafeInteger(serverMax) ? (serverMax as number) : this.maxAppendBytes,
          error,
        );
      }
      throw toStoreError(error, 'appendToStream', streamName);
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    const revisions: bigint[] = [];
    try {
      const read = this.client.readStream(streamName, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision),
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      await this.drain(read, 'readStream', (resolved) => {
        if (!resolved.event) return;
        revisions.push(resolved.event.revision);
        const event = fromEsdbEvent(resolved.event as EsdbRecordedEventLike);
        if (event) events.push(event);
      });
    } catch (error) {
      if (errorType(error) === 'stream-not-found') return [];
      throw toStoreError(error, 'readStream', streamName);
    }
    assertNotTruncated(streamName, revisions, options);
    return events;
  }

  /**
   * Reads `$all` in raw pages of readPageSize events, whatever maxCount is, and filters them here.
   * Returns when maxCount events matched (position: the last of them), at the end of the log, or
   * once it scanned max(maxCount, SCAN_PAGES pages) entries (position: the last entry scanned,
   * matching or not; a scan of only system or filtered-out events then returns no events with
   * isEnd false). Reading past N non-matching events costs about N / readPageSize round trips, once.
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const limit = options.maxCount ?? DEFAULT_READ_ALL_COUNT;
    if (limit < 1) return { events: [], position: options.fromPosition, isEnd: false };
    const scanLimit = Math.max(limit, SCAN_PAGES * this.readPageSize);
    const events: RecordedEvent[] = [];
    let after = options.fromPosition === undefined ? undefined : parseEsdbPosition(options.fromPosition);
    let scanned = 0;
    try {
      for (;;) {
        const page = await this.readRawPage(after);
        for (let i = 0; i < page.events.length; i++) {
          const recorded = page.events[i];
          after = recorded.position;
          const event = fromEsdbEvent(recorded as EsdbRecordedEventLike);
          if (!event || !matchesFilter(event, options.filter)) continue;
          events.push(event);
          if (events.length === limit) return { events, position: event.position, isEnd: page.end && i === page.events.length - 1 };
        }
        scanned += page.events.length;
        const position = after ? formatEsdbPosition(after) : options.fromPosition;
        if (page.end) return { events, position, isEnd: true };
        if (scanned >= scanLimit) return { events, position, isEnd: false };
      }
    } catch (error) {
      throw toStoreError(error, 'readAll');
    }
  }

  /**
   * Counts Dropline's events (not system or link events) after `position` that pass `filter` by
   * reading `$all` forwards (the filter is applied client-side, as readAll does): one round trip
   * when the reader is caught up. Stops at countLimit counted events, or after COUNT_SCAN_FACTOR
   * times countLimit raw entries, and then returns what it counted (a lower bound).
   */
  async countAfter(position: string | undefined, filter?: EventFilter): Promise<number> {
    let after = position === undefined ? undefined : parseEsdbPosition(position);
    let counted = 0;
    let scanned = 0;
    try {
      for (;;) {
        const page = await this.readRawPage(after);
        for (const recorded of page.events) {
          if (isSystemEvent(recorded)) continue;
          if (filter && !matchesFilter({ streamName: recorded.streamId, type: recorded.type }, filter)) continue;
          counted++;
        }
        scanned += page.events.length;
        const last = page.events.at(-1);
        if (page.end || !last || counted >= this.countLimit || scanned >= this.countLimit * COUNT_SCAN_FACTOR) {
          return Math.min(counted, this.countLimit);
        }
        after = last.position;
      }
    } catch (error) {
      throw toStoreError(error, 'countAfter');
    }
  }

  /**
   * One raw page of `$all` after `after` (exclusive). ESDB's fromPosition is inclusive: one more
   * is asked for, and the event at `after` dropped. `end` when the server sent fewer than asked.
   */
  private async readRawPage(after: Position | undefined): Promise<{ events: AllStreamRecordedEvent[]; end: boolean }> {
    const requested = this.readPageSize + (after ? 1 : 0);
    const read = this.client.readAll({ direction: FORWARDS, fromPosition: after ?? START, maxCount: requested });
    const events: AllStreamRecordedEvent[] = [];
    let received = 0;
    await this.drain(read, 'readAll', (resolved) => {
      received++;
      const recorded = resolved.event;
      if (!recorded) return;
      if (after && compareEsdbPositions(recorded.position, after) <= 0) return;
      events.push(recorded);
    });
    return { events, end: received < requested };
  }

  /**
   * The last record of `$all`, read backwards from the end: one round trip. It may be one of the
   * server's own events (a link written by a system projection, a stats event): its time is still
   * the log's head time.
   */
  async headRecordedAt(): Promise<string | undefined> {
    try {
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
        if (resolved.event) return resolved.event.created.toISOString();
      }
      return undefined;
    } catch (error) {
      throw toStoreError(error, 'headRecordedAt');
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    const subscription = new EsdbSubscription(this.client, options, this.logger, this.options, this.deadlineMs, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  comparePositions(a: string, b: string): number {
    return compareEsdbPositions(parseEsdbPosition(a), parseEsdbPosition(b));
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  /** The promise, or StoreUnavailableError once deadlineMs has passed without an answer. */
  private within<T>(operation: string, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreUnavailableError(`EventStoreDB did not answer ${operation} within ${this.deadlineMs} ms`)),
        this.deadlineMs,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /**
   * Iterates a read of the client, failing with StoreUnavailableError (and cancelling the call)
   * when the server sends nothing for deadlineMs. The deadline is per event, not per read, so a
   * long read that keeps streaming is never cut off.
   */
  private async drain<T>(
    read: AsyncIterable<T> & { cancel(): Promise<void> },
    operation: string,
    onItem: (item: T) => void,
  ): Promise<void> {
    const iterator = read[Symbol.asyncIterator]();
    let expire: (error: Error) => void = () => undefined;
    const expired = new Promise<never>((_, reject) => (expire = reject));
    expired.catch(() => undefined);
    const timer = setTimeout(() => {
      read.cancel().catch(() => undefined);
      iterator.return?.().catch(() => undefined);
      expire(new StoreUnavailableError(`EventStoreDB sent nothing for ${this.deadlineMs} ms during ${operation}`));
    }, this.deadlineMs);
    try {
      for (;;) {
        const next = await Promise.race([iterator.next(), expired]);
        if (next.done) return;
        timer.refresh();
        onItem(next.value);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A catch-up subscription that resubscribes with backoff from the last delivered position when
 * the server drops it (or does not confirm it within the deadline). Positions are checked on
 * delivery, so an overlap after a resubscribe is dropped instead of delivered twice.
 */
class EsdbSubscription implements Subscription {
  private closed = false;
  private started = false;
  private current: AllStreamSubscription | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: EsdbClient,
    private readonly options: SubscribeOptions,
    private readonly logger: EventStoreLogger,
    private readonly timing: EventStoreDbEventStoreOptions,
    private readonly deadlineMs: number,
    private readonly onClose: () => void,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    if (this.started) throw new Error('A subscription can be iterated only once');
    this.started = true;
    return this.run();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    this.onClose();
    await this.current?.unsubscribe().catch(() => undefined);
  }

  private async *run(): AsyncGenerator<RecordedEvent> {
    const minRetry = this.timing.minRetryMs ?? 100;
    const maxRetry = this.timing.maxRetryMs ?? 10_000;
    let retryMs = minRetry;
    let last = this.options.fromPosition === undefined ? undefined : parseEsdbPosition(this.options.fromPosition);
    try {
      while (!this.closed) {
        let confirmation: NodeJS.Timeout | undefined;
        try {
          // fromPosition on a subscription is exclusive: it starts after `last`.
          const current = this.client.subscribeToAll({
            fromPosition: last ?? START,
            filter: toEsdbSubscriptionFilter(this.options.filter),
          });
          this.current = current;
          // Not confirmed within the deadline: the server is unreachable or hung; try again later.
          confirmation = setTimeout(() => {
            current.destroy(new StoreUnavailableError(`EventStoreDB did not confirm the subscription within ${this.deadlineMs} ms`));
            current.unsubscribe().catch(() => undefined);
          }, this.deadlineMs);
          current.once('confirmation', () => clearTimeout(confirmation));
          for await (const resolved of current) {
            clearTimeout(confirmation);
            if (this.closed) return;
            const recorded = resolved.event;
            if (!recorded) continue;
            if (last && compareEsdbPositions(recorded.position, last) <= 0) continue;
            const event = fromEsdbEvent(recorded as EsdbRecordedEventLike);
            last = recorded.position;
            retryMs = minRetry;
            if (event && matchesFilter(event, this.options.filter)) yield event;
          }
          if (this.closed) return;
          this.logger.warn('EventStoreDB subscription ended by the server; resubscribing');
        } catch (error) {
          if (this.closed) return;
          this.logger.error(
            `EventStoreDB subscription dropped at ${last ? formatEsdbPosition(last) : 'start'}; resubscribing in ${retryMs} ms`,
            toStoreError(error, 'subscribeToAll'),
          );
        } finally {
          clearTimeout(confirmation);
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        retryMs = Math.min(retryMs * 2, maxRetry);
      }
    } finally {
      this.closed = true;
      this.onClose();
      await this.current?.unsubscribe().catch(() => undefined);
    }
  }
}

/**
 * A forward read from revision r must begin at r, and a read that reached the start of the stream
 * must end at 0: otherwise `$maxCount`, `$maxAge` or a soft delete removed the first events.
 */
function assertNotTruncated(streamName: string, revisions: readonly bigint[], options: ReadStreamOptions): void {
  if (revisions.length === 0) return;
  if (options.direction === 'backwards') {
    const reachedStart = options.maxCount === undefined || revisions.length < options.maxCount;
    const lowest = Number(revisions[revisions.length - 1]);
    if (reachedStart && lowest > 0) throw new StreamTruncatedError(streamName, 0, lowest);
    return;
  }
  const from = options.fromRevision ?? 0;
  const first = Number(revisions[0]);
  if (first > from) throw new StreamTruncatedError(streamName, from, first);
}

// Matched on the client's `type` tag rather than instanceof, which breaks across realms (jest)
// and duplicate installs of the client.
function errorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

/** Maps the client's errors to the port's: outages to StoreUnavailableError, tombstones to StreamDeletedError. */
function toStoreError(error: unknown, operation: string, streamName?: string): unknown {
  if (error instanceof StoreUnavailableError || error instanceof StreamDeletedError) return error;
  const type = errorType(error);
  const message = error instanceof Error ? error.message : String(error);
  if ((type !== undefined && UNAVAILABLE_TYPES.has(type)) || (type === undefined && DISCOVERY_FAILED.test(message))) {
    return new StoreUnavailableError(`EventStoreDB unavailable during ${operation}: ${message}`, error);
  }
  if (type === 'stream-deleted') {
    const deleted = (error as { streamName?: unknown }).streamName;
    return new StreamDeletedError(streamName ?? (typeof deleted === 'string' ? deleted : 'unknown'), error);
  }
  return error;
}
