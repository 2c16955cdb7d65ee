import type { Pool, PoolClient } from 'pg';
import {
  AppendTooLargeError,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventFilter,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type PendingEvents,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../event-store.port';
import { DuplicateEventIdError } from '../duplicate-event-id.error';
import { assertValidMaxAppendBytes, MIB } from '../append-size';
import { assertValidExpectedRevision } from '../expected-revision';
import { consoleEventStoreLogger, type EventStoreLogger } from '../event-store.logger';
import { isConnectionError, pgErrorInfo, toStoreError } from './postgres.errors';
import { compareLogPositions, formatLogPosition, parseLogPosition, type LogPosition } from './postgres.position';
import { PollingSubscription, type PollingOptions } from './polling.subscription';

/*
 * How the global log stays gap-free (read this before changing any SQL here).
 *
 * global_position is a sequence: values are taken at INSERT time but become visible at COMMIT,
 * so a reader that pages by global_position alone can see 11 before a slower transaction
 * commits 10, move its checkpoint past 10 and never see it. Instead the log is ordered by
 * (transaction_id, global_position) and a reader only returns rows with
 * transaction_id < pg_snapshot_xmin(pg_current_snapshot()): every transaction below that
 * "safe horizon" has committed or aborted, and every future one gets a larger xid, so nothing
 * can ever appear behind a position a reader has returned.
 *
 * The horizon is cluster-wide: ONE long-running transaction anywhere on the server (another
 * database, a psql session left in BEGIN, a slow migration) holds back every reader until it
 * ends. Keep write transactions short; appendToStream is one statement (dropline_append in schema.sql).
 */

/** Options of the PostgreSQL event store. */
export interface PostgresEventStoreOptions {
  logger?: EventStoreLogger;
  /** Live-polling and retry timings of subscriptions (defaults: 10 ms busy, 100 ms idle, backoff 100 ms..10 s). */
  polling?: Partial<PollingOptions>;
  /** Most bytes of event JSON one append sends in its one parameter (default DEFAULT_POSTGRES_MAX_APPEND_BYTES). */
  maxAppendBytes?: number;
  /** A filtered read scans at most max(maxCount, this) events (default FILTERED_SCAN_ROWS). */
  filteredScanRows?: number;
}

/**
 * 16 MiB: PostgreSQL itself takes far more in one parameter (up to 1 GB of text), so the limit
 * is ours. It bounds the JSON one append sends and the server parses while the stream is locked,
 * and still holds a full batch of the largest COMMAND_BATCH_SIZE (10,000 pre-orders of ~1.1 KB).
 */
export const DEFAULT_POSTGRES_MAX_APPEND_BYTES = 16 * MIB;

/**
 * What one event adds to the append's parameter besides its row object without the index
 * (`{"id":…,"t":…,"v":…,"d":…,"m":…}`, measured): `"i":` with a row index of at most 16 digits and
 * its comma (21 bytes), the comma separating it from the next row (1) and the array's brackets (2).
 */
const POSTGRES_ROW_OVERHEAD = 24;

/** One event's row as it travels in the append's parameter, minus its leading `{"i":<index>,`. */
export interface SerialisedRow {
  /** The row's JSON after its opening brace (`"id":…}`), or `}` for a row with nothing but the index. */
  tail: string;
  /** UTF-8 bytes of the whole row object without the index (the tail plus its brace). */
  bytes: number;
  // What the row was built from: an event changed since is serialised again.
  eventId: string;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
}

/**
 * Serialises an event's row once: appendSize measures it (the writer measures every command's
 * events) and appendToStream sends the same text, so each event is turned into JSON once, not twice.
 * Throws what JSON.stringify throws for a value JSON cannot hold (a BigInt, a cycle).
 */
function serialisedRow(event: NewEvent, cache: WeakMap<NewEvent, SerialisedRow>): SerialisedRow {
  const cached = cache.get(event);
  if (
    cached !== undefined &&
    cached.data === event.data &&
    cached.metadata === event.metadata &&
    cached.eventId === event.eventId &&
    cached.type === event.type &&
    cached.schemaVersion === event.schemaVersion
  )
    return cached;
  // Key order as the array's rows always had them (the index goes in front at append time).
  const json = JSON.stringify({ id: event.eventId, t: event.type, v: event.schemaVersion, d: event.data, m: event.metadata });
  const row: SerialisedRow = {
    tail: json.slice(1),
    bytes: Buffer.byteLength(json, 'utf8'),
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: event.metadata,
  };
  cache.set(event, row);
  return row;
}

/**
 * The append's one jsonb parameter, `[{"i":0,"id":…,"t":…,"v":…,"d":…,"m":…},…]`, and its UTF-8
 * bytes: each row is the text appendSize measured (serialised now if it was not), its index put in
 * front, so the text is what JSON.stringify of the rows with `i` first would write.
 */
export function appendParameter(events: readonly NewEvent[], cache: WeakMap<NewEvent, SerialisedRow>): { rows: string; bytes: number } {
  let rows = '[';
  let bytes = 2;
  for (let i = 0; i < events.length; i++) {
    const row = serialisedRow(events[i], cache);
    const head = `${i === 0 ? '' : ','}{"i":${i}${row.tail === '}' ? '' : ','}`;
    rows += head;
    rows += row.tail;
    // The head is ASCII; the tail is the row's bytes minus its opening brace.
    bytes += head.length + row.bytes - 1;
  }
  return { rows: `${rows}]`, bytes };
}

const DEFAULT_READ_ALL_COUNT = 1000;
/**
 * A filtered read scans at most max(maxCount, this) events of the log, matching or not, then
 * returns where it got to (as the EventStoreDB adapter's SCAN_PAGES does). So its cost is bounded
 * by what it scans, however far behind the reader is, whichever plan PostgreSQL picks: with a lag
 * below the scan's LIMIT it may read the whole stretch (a bitmap scan and a sort) rather than
 * stop at maxCount matches. Small enough that a page of fewer events costs at most 1,000 rows;
 * large enough that a reader passes non-matching events 1,000 a round trip.
 */
export const FILTERED_SCAN_ROWS = 1000;
const DEFAULT_SUBSCRIPTION_BATCH = 5000;

// Columns of a recorded event, all as text: with rowMode 'array' node-postgres then does no type
// parsing at all, and JSON.parse on data::text/metadata::text is as fast as pg's own jsonb parser
// while being immune to global type-parser overrides. recorded_at is read as UTC timestamp text
// (independent of the session TimeZone) and reshaped to ISO-8601 in JS: to_char() on the server
// measured ~40% slower for a full-log read.
// TRAP: every cast column gets an alias that is not a column name. Otherwise `ORDER BY revision`
// would bind to the text output column `revision::text` and sort '10' before '9'.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const EVENT_COLUMNS = `events.transaction_id::text AS tx_text, events.global_position::text AS gp_text,
  events.stream_name, events.revision::text AS revision_text, events.event_id::text AS id_text, events.type,
  events.schema_version::text AS version_text, events.data::text AS data_text, events.metadata::text AS metadata_text,
  (events.recorded_at AT TIME ZONE 'UTC')::text AS recorded_text`;

type EventRow = [string, string, string, string, string, string, string, string, string, string];
/** last_tx, last_gp, rows scanned (on the last row scanned only), then the event's columns (data and metadata NULL where it does not match). */
type FilteredRow = [string | null, string | null, string | null, ...Array<string | null>];

/** Page of the global log plus how far the scan is known to be complete (for filtered readers). */
export interface LogPage {
  events: RecordedEvent[];
  /**
   * Resume point: the last event when the page was full; otherwise the last event of the whole log
   * below the safe horizon (every event up to it was scanned), or `after` when that is further.
   */
  next: LogPosition;
  full: boolean;
}

/**
 * EventStore on PostgreSQL through node-postgres. The same SQL runs on a PostgreSQL server pool
 * and on a PGlite pool (see createEmbeddedDatabase). The pool belongs to the caller: close()
 * ends subscriptions but does not end the pool, which may be shared (TypeORM on PGlite).
 */
export class PostgresEventStore implements EventStore {
  private readonly logger: EventStoreLogger;
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;
  /** Rows measured by appendSize, for appendToStream to send as they are (weak: an event never appended costs nothing). */
  private readonly rows = new WeakMap<NewEvent, SerialisedRow>();
  readonly maxAppendBytes: number;

  constructor(
    private readonly pool: Pool,
    private readonly options: PostgresEventStoreOptions = {},
  ) {
    this.logger = options.logger ?? consoleEventStoreLogger;
    this.maxAppendBytes = assertValidMaxAppendBytes(options.maxAppendBytes ?? DEFAULT_POSTGRES_MAX_APPEND_BYTES);
  }

  /**
   * An upper bound of the bytes the events take in the append's one jsonb parameter (UTF-8 JSON):
   * each event's row as it is sent, plus POSTGRES_ROW_OVERHEAD for its index, comma and brackets.
   * The row text is kept for appendToStream, which then sends it without serialising it again.
   */
  appendSize(events: readonly NewEvent[]): number {
    let size = 0;
    for (const event of events) size += serialisedRow(event, this.rows).bytes + POSTGRES_ROW_OVERHEAD;
    return size;
  }

  async appendToStream(streamName: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    assertValidExpectedRevision(expectedRevision);
    let written: [boolean, string, string | null, string | null] | undefined;
    let client: PoolClient | undefined;
    let failure: unknown;
    try {
      // The whole batch travels as ONE jsonb parameter (appendParameter: each row serialised once,
      // by appendSize or here) and one multi-row INSERT on the server (a hot drop appends ~1,000
      // events per call). Built before the stream is locked, refused before sending when over the limit.
      const { rows, bytes } = appendParameter(events, this.rows);
      if (bytes > this.maxAppendBytes) throw new AppendTooLargeError(streamName, bytes, this.maxAppendBytes);
      // ONE statement, so one round trip and its own implicit transaction (no BEGIN/COMMIT): the
      // schema's dropline_append takes the stream's advisory lock before it writes anything, reads
      // the revision after the lock, checks it and inserts (read its comment in schema.sql). An
      // error anywhere rolls the whole statement back; a wrong revision is a result row, not an error.
      // On a checked-out client rather than pool.query: pool.query destroys the connection on ANY
      // error (a duplicate event id, a NUL in jsonb), and on PGlite that connection is the only one.
      client = await this.pool.connect();
      const result = await client.query<[boolean, string, string | null, string | null]>({
        text: 'SELECT out_ok, out_revision::text, out_tx::text, out_gp::text FROM dropline_append($1, $2::jsonb, $3)',
        values: [streamName, rows, String(expectedRevision)],
        rowMode: 'array',
      });
      written = result.rows[0];
    } catch (error) {
      failure = error;
    }
    // A statement the server refused leaves the connection idle and reusable; a lost one is dropped.
    // Released before the error is mapped: mapping may query, and PGlite's pool has one connection.
    client?.release(failure !== undefined && isConnectionError(failure) ? (failure as Error) : undefined);
    if (failure !== undefined || written === undefined) throw await this.mapAppendError(failure, streamName, expectedRevision);
    const [ok, revisionText, transactionId, globalPosition] = written;
    const actual = Number(revisionText);
    if (!ok) throw new WrongExpectedRevisionError(streamName, expectedRevision, actual);
    for (const subscription of this.subscriptions) subscription.nudge();
    // An empty append of a stream without events reports the log start.
    const position = transactionId === null || globalPosition === null ? '0:0' : formatLogPosition({ transactionId, globalPosition });
    return { nextExpectedRevision: actual, position };
  }

  private async mapAppendError(error: unknown, streamName: string, expected: ExpectedRevision): Promise<unknown> {
    const { code, constraint, detail } = pgErrorInfo(error);
    if (code === '23505' && constraint === 'events_pkey') {
      // Only reachable by a writer that bypasses the advisory lock; still a revision conflict.
      const actual = await this.currentRevision(streamName).catch(() => undefined);
      return new WrongExpectedRevisionError(streamName, expected, actual);
    }
    if (code === '23505' && constraint === 'events_event_id_key') {
      const eventId = /\(event_id\)=\(([^)]+)\)/.exec(detail ?? '')?.[1];
      return new DuplicateEventIdError(streamName, eventId, error);
    }
    return toStoreError(error, 'appendToStream');
  }

  private async currentRevision(streamName: string): Promise<number> {
    const result = await this.pool.query<[string]>({
      text: 'SELECT revision::text FROM streams WHERE stream_name = $1',
      values: [streamName],
      rowMode: 'array',
    });
    return result.rows.length === 0 ? -1 : Number(result.rows[0][0]);
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    const limit = options.maxCount ?? null;
    try {
      const result = await this.pool.query<EventRow>({
        text: `SELECT ${EVENT_COLUMNS} FROM events
               WHERE stream_name = $1 AND revision ${backwards ? '<=' : '>='} $2
               ORDER BY events.revision ${backwards ? 'DESC' : 'ASC'} LIMIT $3`,
        values: [streamName, from, limit],
        rowMode: 'array',
      });
      return result.rows.map(toRecordedEvent);
    } catch (error) {
      throw toStoreError(error, 'readStream');
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const from = parseLogPosition(options.fromPosition);
    const page = await this.readLogPage(from, options.maxCount ?? DEFAULT_READ_ALL_COUNT, options.filter);
    const moved = compareLogPositions(page.next, from) > 0;
    return { events: page.events, position: moved ? formatLogPosition(page.next) : options.fromPosition, isEnd: !page.full };
  }

  /**
   * One keyset page of the gap-safe global log. The horizon, and the last event below it, are
   * computed in the same statement (so with the same snapshot) as the page. A partial page has
   * scanned everything below the horizon, so its reader resumes after the last event there, even
   * when the filter matched none of them: a filtered reader never scans the same events twice.
   * That position moves only when events are appended (the horizon itself moves with every
   * transaction on the cluster, checkpoint writes included), so a caught-up reader that stores
   * its position writes nothing while the log is idle.
   */
  async readLogPage(after: LogPosition, limit: number, filter?: EventFilter): Promise<LogPage> {
    if (filter !== undefined && (filter.streamPrefixes !== undefined || filter.eventTypes !== undefined)) {
      return this.readFilteredLogPage(after, limit, filter);
    }
    // The one-row horizon subquery drives a nested loop over the LATERAL page, so rows come out in
    // the page's ORDER BY; an outer ORDER BY would only add a sort of the whole page.
    const values: unknown[] = [after.transactionId, after.globalPosition, limit];
    try {
      const result = await this.pool.query<[string | null, string | null, ...EventRow]>({
        text: `SELECT h.last_tx, h.last_gp, e.* FROM ${HORIZON} h
               LEFT JOIN LATERAL (
                 SELECT ${EVENT_COLUMNS} FROM events
                 WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id < h.safe
                 ORDER BY events.transaction_id, events.global_position LIMIT $3
               ) e ON true`,
        values,
        rowMode: 'array',
      });
      const rows = result.rows;
      const [lastTx, lastGp] = rows[0];
      const events: RecordedEvent[] = [];
      // A LEFT JOIN with no match yields one row of NULLs.
      if (rows[0][2] !== null) {
        for (const row of rows) events.push(toRecordedEvent(row.slice(2) as EventRow));
      }
      const full = events.length >= limit;
      const lastEvent = events.at(-1);
      const next = lastEvent ? parseLogPosition(lastEvent.position) : after;
      return { events, next: full ? next : pastHorizon(next, lastTx, lastGp), full };
    } catch (error) {
      throw toStoreError(error, 'readAll');
    }
  }

  /**
   * readLogPage with a filter. The filter is NOT a condition of the scan: with it there, the
   * planner estimated the keyset range at a third of the table and the filter as selective, and
   * chose a bitmap scan of the whole range plus a sort, so a reader N events behind paid for N rows
   * on every page (218 ms for a 200-event page 50,000 events behind; docs/benchmarks.md). Instead
   * the innermost subquery is the plain keyset scan in log order with a LIMIT (an index scan, as
   * the unfiltered read), the filter is computed per scanned row (`m`), and the outer query keeps
   * the matching rows and the last row scanned (`is_last`, from a one-row look-ahead), streaming:
   * the scan stops at the (limit + 1)th match, or after `scanLimit` rows. When the page holds
   * fewer than `limit` matches, the last scanned row says how far the scan got (`rn`) and where
   * to resume, so a reader passes non-matching events a bounded stretch at a time.
   */
  private async readFilteredLogPage(after: LogPosition, limit: number, filter: EventFilter): Promise<LogPage> {
    if (limit < 1) return { events: [], next: after, full: true };
    const scanLimit = Math.max(limit, this.options.filteredScanRows ?? FILTERED_SCAN_ROWS);
    try {
      const result = await this.pool.query<FilteredRow>({ ...filteredLogPageQuery(after, limit, scanLimit, filter), rowMode: 'array' });
      const rows = result.rows;
      const [lastTx, lastGp] = rows[0];
      const events: RecordedEvent[] = [];
      let scanned = 0;
      let tail: LogPosition | undefined;
      // A LEFT JOIN with no match (nothing after `after` below the horizon) yields one row of NULLs.
      if (rows[0][3] !== null) {
        for (const row of rows) {
          if (row[10] !== null && events.length < limit) events.push(toRecordedEvent(row.slice(3) as EventRow));
          if (row[2] !== null) {
            scanned = Number(row[2]);
            tail = { transactionId: row[3]!, globalPosition: row[4]! };
          }
        }
      }
      if (events.length >= limit) return { events, next: parseLogPosition(events.at(-1)!.position), full: true };
      // Fewer matches than the limit: the whole scan came back, its last row included.
      const next = tail ?? after;
      const full = scanned >= scanLimit;
      return { events, next: full ? next : pastHorizon(next, lastTx, lastGp), full };
    } catch (error) {
      throw toStoreError(error, 'readAll');
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new Error('PostgresEventStore is closed');
    const batchSize = options.batchSize ?? DEFAULT_SUBSCRIPTION_BATCH;
    const subscription = new PollingSubscription(
      parseLogPosition(options.fromPosition),
      (after) => this.readLogPage(after, batchSize, options.filter),
      this.logger,
      this.options.polling,
      () => this.subscriptions.delete(subscription),
      () => this.pool.ending || this.pool.ended,
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  comparePositions(a: string, b: string): number {
    return compareLogPositions(parseLogPosition(a), parseLogPosition(b));
  }

  async countAfter(position: string | undefined, filter?: EventFilter): Promise<number> {
    const from = parseLogPosition(position);
    const values: unknown[] = [from.transactionId, from.globalPosition];
    const conditions = filterConditions(filter, values);
    try {
      // Counts what passes the filter committed after `position`, including events not yet below
      // the horizon: it is a lag gauge, and those events will reach the reader shortly.
      const result = await this.pool.query<[string]>({
        text: `SELECT count(*)::text FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) ${conditions.join(' ')}`,
        values,
        rowMode: 'array',
      });
      return Number(result.rows[0][0]);
    } catch (error) {
      throw toStoreError(error, 'countAfter');
    }
  }

  async pendingAfter(position: string | undefined, filter?: EventFilter): Promise<PendingEvents | undefined> {
    const from = parseLogPosition(position);
    const values: unknown[] = [from.transactionId, from.globalPosition];
    const conditions = filterConditions(filter, values);
    try {
      // Everything after a position a read found the end at lies above the horizon (or was committed
      // since): the rows are few, on the log index. Their age is taken on the server's clock, the one
      // that recorded them, and grows for as long as the horizon is held.
      const result = await this.pool.query<[number, number | null]>({
        text: `SELECT count(*)::int, extract(epoch FROM clock_timestamp() - min(recorded_at))::float8
               FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) ${conditions.join(' ')}`,
        values,
        rowMode: 'array',
      });
      const [events, oldest] = result.rows[0];
      return events > 0 ? { events, oldestSeconds: Math.max(0, oldest ?? 0) } : undefined;
    } catch (error) {
      throw toStoreError(error, 'pendingAfter');
    }
  }

  async readEvent(eventId: string): Promise<RecordedEvent | undefined> {
    // Not a UUID: no such event (the column is uuid, so the comparison itself would fail).
    if (!UUID.test(eventId)) return undefined;
    try {
      const result = await this.pool.query<EventRow>({
        text: `SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = $1`,
        values: [eventId],
        rowMode: 'array',
      });
      return result.rows.length === 0 ? undefined : toRecordedEvent(result.rows[0]);
    } catch (error) {
      throw toStoreError(error, 'readEvent');
    }
  }

  async readCausedBy(causationId: string, options: { after?: string; maxCount: number }): Promise<RecordedEvent[]> {
    const after = parseLogPosition(options.after);
    try {
      // events_causation_idx: an index range scan in log order, cut at maxCount.
      const result = await this.pool.query<EventRow>({
        text: `SELECT ${EVENT_COLUMNS} FROM events
               WHERE metadata->>'causationId' = $1 AND (transaction_id, global_position) > ($2::xid8, $3::bigint)
               ORDER BY transaction_id, global_position LIMIT $4`,
        values: [causationId, after.transactionId, after.globalPosition, options.maxCount],
        rowMode: 'array',
      });
      return result.rows.map(toRecordedEvent);
    } catch (error) {
      throw toStoreError(error, 'readCausedBy');
    }
  }

  async headRecordedAt(): Promise<string | undefined> {
    try {
      // The newest row of the log index, committed or not yet below the horizon: a lag gauge, like countAfter.
      const result = await this.pool.query<[string]>({
        text: `SELECT (recorded_at AT TIME ZONE 'UTC')::text AS recorded_text FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
        rowMode: 'array',
      });
      return result.rows.length === 0 ? undefined : utcTimestampToIso(result.rows[0][0]);
    } catch (error) {
      throw toStoreError(error, 'headRecordedAt');
    }
  }

  /** Ends every subscription; the pool stays open (it belongs to the caller). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
  }
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  const event: RecordedEvent = {
    position: `${row[0]}:${row[1]}`,
    streamName: row[2],
    revision: Number(row[3]),
    eventId: row[4],
    type: row[5],
    schemaVersion: Number(row[6]),
    data: {},
    metadata: {} as RecordedEvent['metadata'],
    recordedAt: utcTimestampToIso(row[9]),
  };
  // data and metadata are jsonb, which cannot hold invalid JSON, so this never fails today; if it
  // ever did, the reader reports this one event (classifyStoredEvent) rather than the read failing.
  try {
    event.data = JSON.parse(row[7]);
    event.metadata = JSON.parse(row[8]);
  } catch (e) {
    event.decodeError = `stored payload is not valid JSON: ${e instanceof Error ? e.message : String(e)}`;
  }
  return event;
}

/** '2026-01-01 10:00:00.12345' (timestamp without time zone, DateStyle ISO) -> '2026-01-01T10:00:00.123Z'. */
export function utcTimestampToIso(text: string): string {
  const seconds = text.slice(0, 19);
  const fraction = text.length > 20 ? text.slice(20, 23).padEnd(3, '0') : '000';
  return `${seconds.slice(0, 10)}T${seconds.slice(11)}.${fraction}Z`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The one-row subquery both log pages start from: the safe horizon (`safe`) and the last event
 * below it (`last_tx`, `last_gp`), in the statement's snapshot. It drives a nested loop over the
 * LATERAL page, so rows come out in the page's ORDER BY.
 */
const HORIZON = `(
  SELECT s.safe, l.transaction_id::text AS last_tx, l.global_position::text AS last_gp
  FROM (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS safe) s
  LEFT JOIN LATERAL (
    SELECT transaction_id, global_position FROM events WHERE transaction_id < s.safe
    ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1
  ) l ON true
)`;

/**
 * Where a page that reached the horizon resumes: past the last event below it when that is
 * further than `next` (everything up to it was scanned; nothing can appear behind it).
 */
function pastHorizon(next: LogPosition, lastTx: string | null, lastGp: string | null): LogPosition {
  if (lastTx === null || lastGp === null) return next;
  const below: LogPosition = { transactionId: lastTx, globalPosition: lastGp };
  return compareLogPositions(below, next) > 0 ? below : next;
}

/**
 * The statement of a filtered page (PostgresEventStore.readFilteredLogPage): at most `scanLimit`
 * events after `after` below the horizon, scanned in log order by the log index; of those, the
 * first `limit + 1` that match and the last one scanned. Columns: last_tx, last_gp (the last event
 * below the horizon), how many rows were scanned (on the last one scanned only, else NULL), then
 * the event's columns, data and metadata NULL where it does not match (they are NOT NULL in the
 * table). One narrow column rather than three flags: a rebuild reads 50,000 rows a page, and every
 * column is parsed per row.
 * Exported for the plan test.
 */
export function filteredLogPageQuery(
  after: LogPosition,
  limit: number,
  scanLimit: number,
  filter: EventFilter,
): { text: string; values: unknown[] } {
  const values: unknown[] = [after.transactionId, after.globalPosition, limit + 1, scanLimit];
  const matches = filterConditions(filter, values)
    .map((condition) => condition.replace(/^AND /, ''))
    .join(' AND ');
  const text = `SELECT h.last_tx, h.last_gp, CASE WHEN p.is_last THEN p.rn::text END,
      p.transaction_id::text, p.global_position::text, p.stream_name, p.revision::text, p.event_id::text, p.type,
      p.schema_version::text, CASE WHEN p.m THEN p.data::text END, CASE WHEN p.m THEN p.metadata::text END,
      (p.recorded_at AT TIME ZONE 'UTC')::text
    FROM ${HORIZON} h
    LEFT JOIN LATERAL (
      SELECT w.* FROM (
        SELECT r.*, row_number() OVER o AS rn, lead(r.global_position) OVER o IS NULL AS is_last
        FROM (
          SELECT events.*, (${matches || 'true'}) AS m FROM events
          WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND transaction_id < h.safe
          ORDER BY events.transaction_id, events.global_position LIMIT $4
        ) r
        WINDOW o AS (ORDER BY r.transaction_id, r.global_position)
      ) w
      WHERE w.m OR w.is_last
      ORDER BY w.transaction_id, w.global_position LIMIT $3
    ) p ON true`;
  return { text, values };
}

/** The SQL conditions of an EventFilter (ORed within a list, ANDed across), their values appended to `values`. */
function filterConditions(filter: EventFilter | undefined, values: unknown[]): string[] {
  const conditions: string[] = [];
  if (filter?.streamPrefixes !== undefined) {
    values.push(filter.streamPrefixes.map((prefix) => `${escapeLike(prefix)}%`));
    conditions.push(`AND stream_name LIKE ANY ($${values.length}::text[])`);
  }
  if (filter?.eventTypes !== undefined) {
    values.push(filter.eventTypes);
    conditions.push(`AND type = ANY ($${values.length}::text[])`);
  }
  return conditions;
}
