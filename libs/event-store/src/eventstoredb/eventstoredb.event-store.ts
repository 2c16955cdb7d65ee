import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  START,
  type WrongExpectedVersionError,
  jsonEvent,
  type AllStreamSubscription,
  type Position,
} from '@eventstore/db-client';
import {
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type AppendResult,
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
import { consoleEventStoreLogger, type EventStoreLogger } from '../event-store.logger';
import {
  compareEsdbPositions,
  formatEsdbPosition,
  fromEsdbCurrentRevision,
  fromEsdbEvent,
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
}

const DEFAULT_READ_ALL_COUNT = 1000;

// The client reports transport failures as these error types (see its utils/CommandError).
const UNAVAILABLE_TYPES = new Set(['unavailable', 'deadline-exceeded', 'timeout', 'not-leader', 'cancelled']);

/**
 * EventStore on EventStoreDB through @eventstore/db-client v6. Expected revisions map one to one;
 * the envelope travels in the metadata JSON. The v6 client's readAll has no server-side filter,
 * so readAll filters client-side; subscribeToAll filters on the server (streams or types).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly logger: EventStoreLogger;
  private readonly subscriptions = new Set<EsdbSubscription>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: EventStoreDbEventStoreOptions = {},
  ) {
    this.logger = options.logger ?? consoleEventStoreLogger;
  }

  /** Connects with an `esdb://` / `esdb+discover://` connection string. */
  static fromConnectionString(connectionString: string, options?: EventStoreDbEventStoreOptions): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
  }

  async appendToStream(streamName: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    assertValidExpectedRevision(expectedRevision);
    try {
      const result = await this.client.appendToStream(
        streamName,
        events.map((event) => jsonEvent(toEsdbEvent(event))),
        { expectedRevision: toEsdbExpectedRevision(expectedRevision) },
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
      throw toStoreError(error, 'appendToStream');
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamName, {
        direction: backwards ? BACKWARDS : FORWARDS,
        fromRevision: options.fromRevision === undefined ? (backwards ? END : START) : BigInt(options.fromRevision),
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      for await (const resolved of read) {
        const event = resolved.event ? fromEsdbEvent(resolved.event as EsdbRecordedEventLike) : undefined;
        if (event) events.push(event);
      }
      return events;
    } catch (error) {
      if (errorType(error) === 'stream-not-found') return [];
      throw toStoreError(error, 'readStream');
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const limit = options.maxCount ?? DEFAULT_READ_ALL_COUNT;
    const events: RecordedEvent[] = [];
    let after = options.fromPosition === undefined ? undefined : parseEsdbPosition(options.fromPosition);
    let isEnd = false;
    try {
      // Filtering is client-side (see class comment), so keep reading raw pages until the
      // filtered page is full or the log ends.
      while (events.length < limit && !isEnd) {
        const want = limit - events.length;
        let raw = 0;
        let last: Position | undefined;
        // ESDB's fromPosition is inclusive, the port's is exclusive: read one extra and drop it.
        const read = this.client.readAll({ direction: FORWARDS, fromPosition: after ?? START, maxCount: want + 1 });
        for await (const resolved of read) {
          const recorded = resolved.event;
          if (!recorded) continue;
          if (after && compareEsdbPositions(recorded.position, after) <= 0) continue;
          raw++;
          last = recorded.position;
          const event = fromEsdbEvent(recorded as EsdbRecordedEventLike);
          if (event && matchesFilter(event, options.filter) && events.length < limit) events.push(event);
        }
        if (raw < want || !last) isEnd = true;
        else after = last;
      }
    } catch (error) {
      throw toStoreError(error, 'readAll');
    }
    const lastEvent = events.at(-1);
    return { events, position: lastEvent ? lastEvent.position : options.fromPosition, isEnd };
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
    const subscription = new EsdbSubscription(this.client, options, this.logger, this.options, () =>
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
}

/**
 * A catch-up subscription that resubscribes with backoff from the last delivered position when
 * the server drops it. Positions are checked on delivery, so an overlap after a resubscribe is
 * dropped instead of delivered twice.
 */
class EsdbSubscription implements Subscription {
  private closed = false;
  private started = false;
  private current: AllStreamSubscription | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeOptions,
    private readonly logger: EventStoreLogger,
    private readonly timing: EventStoreDbEventStoreOptions,
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
        try {
          // fromPosition on a subscription is exclusive: it starts after `last`.
          this.current = this.client.subscribeToAll({
            fromPosition: last ?? START,
            filter: toEsdbSubscriptionFilter(this.options.filter),
          });
          for await (const resolved of this.current) {
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
            error,
          );
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

// Matched on the client's `type` tag rather than instanceof, which breaks across realms (jest)
// and duplicate installs of the client.
function errorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

function toStoreError(error: unknown, operation: string): unknown {
  const type = errorType(error);
  if (type !== undefined && UNAVAILABLE_TYPES.has(type)) {
    return new StoreUnavailableError(`EventStoreDB unavailable during ${operation}: ${String((error as Error).message)}`, error);
  }
  return error;
}
