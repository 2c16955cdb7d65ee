import type { Pool, PoolClient } from 'pg';
import type { NewEvent } from './event-store.port';
import { pgErrorInfo, toStoreError } from './postgres/postgres.errors';

/** An event to import with the envelope it had in its source store. */
export interface ImportedEvent extends NewEvent {
  streamName: string;
  /** Kept as stored at the source; the target's own clock never replaces it. */
  recordedAt: string;
}

export interface ImportEventsOptions {
  /**
   * Append to streams that already hold events: each must hold the file's first events of it, in
   * order (eventsAfterStored), and gets the rest; else StreamHistoryDivergedError and nothing is
   * written. Without it, any existing target stream fails the whole import. An event whose id
   * another stream holds fails the import with EventIdsTakenError, as without it.
   */
  allowExistingStreams?: boolean;
  /** Rows per INSERT statement. */
  chunkSize?: number;
}

export interface ImportEventsResult {
  streams: number;
  imported: number;
  /** Events skipped because their stream already held them (only with allowExistingStreams). */
  skippedDuplicates: number;
}

/**
 * A stream the target already holds is not the start of the file's: at `revision` it has another
 * event. Appending the rest would merge two histories nobody decided together (two copies of a
 * drop that each sold to its cap would hold twice the cap), so nothing is imported.
 */
export class StreamHistoryDivergedError extends Error {
  readonly code = 'STORE.STREAM_DIVERGED';
  constructor(
    readonly streamName: string,
    readonly revision: number,
    readonly storedEventId: string,
    readonly fileEventId: string,
  ) {
    super(
      `${streamName} already holds event ${storedEventId} at revision ${revision} where the file has ${fileEventId}: ` +
        `the stored history is not the start of the file's, and the two cannot be merged; import into a fresh store`,
    );
    this.name = 'StreamHistoryDivergedError';
  }
}

/**
 * What to append of one stream's file events when the target already holds `storedIds` (in
 * revision order): the file's events after them. The stored ones must be the file's first
 * events, in order — an interrupted import of the same file — or StreamHistoryDivergedError.
 * A stream that already holds all of them (or more: it went on after the export) gets nothing.
 */
export function eventsAfterStored<E extends { eventId: string }>(
  streamName: string,
  file: readonly E[],
  storedIds: readonly string[],
): E[] {
  for (let i = 0; i < storedIds.length && i < file.length; i++)
    if (storedIds[i].toLowerCase() !== file[i].eventId.toLowerCase())
      throw new StreamHistoryDivergedError(streamName, i, storedIds[i], file[i].eventId);
  return file.slice(storedIds.length);
}

/** Thrown when the target already holds streams of the import; nothing was written. */
export class StreamsAlreadyExistError extends Error {
  readonly code = 'STORE.STREAMS_EXIST';
  constructor(readonly streamNames: string[]) {
    super(
      `The target store already holds ${streamNames.length} of these streams (${streamNames.slice(0, 5).join(', ')}${streamNames.length > 5 ? ', …' : ''}); import into a fresh store or allow existing streams`,
    );
    this.name = 'StreamsAlreadyExistError';
  }
}

/** One event id of the file that the target already holds, in another stream than the file's. */
export interface TakenEventId {
  eventId: string;
  /** The stream the target holds it in. */
  storedIn: string;
  /** The stream the file has it in. */
  fileStream: string;
}

/**
 * The target already holds some of the file's event ids in other streams. An event id names one
 * event in the whole store (causation, effectively-once consumers and the Kafka key rely on it),
 * so the file cannot be loaded beside them: nothing is imported.
 */
export class EventIdsTakenError extends Error {
  readonly code = 'STORE.EVENT_IDS_TAKEN';
  constructor(readonly taken: TakenEventId[]) {
    const shown = taken
      .slice(0, 3)
      .map((t) => `${t.eventId} (stored in ${t.storedIn}, the file's in ${t.fileStream})`)
      .join(', ');
    super(
      `The target store already holds ${taken.length} of the file's event ids in other streams: ${shown}${taken.length > 3 ? ', …' : ''}; ` +
        `an event id names one event in the whole store: import into a fresh store`,
    );
    this.name = 'EventIdsTakenError';
  }
}

/**
 * Imports events of many streams into the PostgreSQL/PGlite event store tables in ONE
 * transaction: either every event is there afterwards or none is. Event ids, types, schema
 * versions, data, metadata and recordedAt are kept; revisions are renumbered from each stream's
 * current end (0 for a new stream) in the given order; global positions are the target's own,
 * in the given order (one transaction, so the events appear to readers all at once).
 *
 * The per-stream advisory locks of appendToStream are taken first (in name order, so two imports
 * cannot deadlock), so concurrent appenders wait instead of interleaving. The transaction holds
 * back the global-log horizon of every reader on the server while it runs: import into a sandbox
 * or a quiet store.
 */
export async function importEventsInOneTransaction(
  pool: Pool,
  events: readonly ImportedEvent[],
  options: ImportEventsOptions = {},
): Promise<ImportEventsResult> {
  const chunkSize = options.chunkSize ?? 5000;
  const streamNames = [...new Set(events.map((e) => e.streamName))].sort();
  let client: PoolClient | undefined;
  let broken: Error | undefined;
  try {
    client = await pool.connect();
    await client.query('BEGIN');
    try {
      for (const name of streamNames) await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
      const current = await client.query<[string, string]>({
        text: 'SELECT stream_name, revision::text FROM streams WHERE stream_name = ANY($1::text[])',
        values: [streamNames],
        rowMode: 'array',
      });
      const next = new Map<string, number>(current.rows.map(([name, revision]) => [name, Number(revision) + 1]));
      if (next.size > 0 && !options.allowExistingStreams) throw new StreamsAlreadyExistError([...next.keys()].sort());

      let toWrite = events;
      let skippedDuplicates = 0;
      if (next.size > 0) {
        // Each existing stream must be the start of the file's (an interrupted import of it): its
        // events are skipped and the rest appended; anything else is refused.
        const stored = await client.query<[string, string]>({
          text: 'SELECT stream_name, event_id::text FROM events WHERE stream_name = ANY($1::text[]) ORDER BY stream_name, revision',
          values: [[...next.keys()]],
          rowMode: 'array',
        });
        const storedIds = new Map<string, string[]>();
        for (const [name, id] of stored.rows) (storedIds.get(name) ?? storedIds.set(name, []).get(name)!).push(id);
        const fileEvents = new Map<string, ImportedEvent[]>();
        for (const e of events) (fileEvents.get(e.streamName) ?? fileEvents.set(e.streamName, []).get(e.streamName)!).push(e);
        const keep = new Set<ImportedEvent>();
        for (const [name, list] of fileEvents)
          for (const e of storedIds.has(name) ? eventsAfterStored(name, list, storedIds.get(name)!) : list) keep.add(e);
        toWrite = events.filter((e) => keep.has(e));
        skippedDuplicates = events.length - toWrite.length;
      }
      await refuseTakenIds(client, toWrite);

      for (let i = 0; i < toWrite.length; i += chunkSize) {
        const rows = toWrite.slice(i, i + chunkSize).map((event, n) => {
          const revision = next.get(event.streamName) ?? 0;
          next.set(event.streamName, revision + 1);
          return {
            n,
            s: event.streamName,
            r: revision,
            id: event.eventId,
            t: event.type,
            v: event.schemaVersion,
            d: event.data,
            m: event.metadata,
            at: event.recordedAt,
          };
        });
        // ORDER BY n keeps the given order in global_position (the bigserial is taken per row).
        await client.query({
          text: `INSERT INTO events (stream_name, revision, event_id, type, schema_version, data, metadata, recorded_at)
                 SELECT e.s, e.r, e.id, e.t, e.v, e.d, e.m, e.at
                 FROM jsonb_to_recordset($1::jsonb) AS e(n integer, s text, r bigint, id uuid, t text, v integer, d jsonb, m jsonb, at timestamptz)
                 ORDER BY e.n`,
          values: [JSON.stringify(rows)],
        });
      }
      // Every stream that exists now: the ones that did (same revision when all was skipped) and the new ones.
      const written = [...next.entries()];
      if (written.length > 0) {
        await client.query({
          text: `INSERT INTO streams (stream_name, revision)
                 SELECT s.name, s.revision FROM jsonb_to_recordset($1::jsonb) AS s(name text, revision bigint)
                 ON CONFLICT (stream_name) DO UPDATE SET revision = EXCLUDED.revision`,
          values: [JSON.stringify(written.map(([name, nextRevision]) => ({ name, revision: nextRevision - 1 })))],
        });
      }
      await client.query('COMMIT');
      return { streams: streamNames.length, imported: toWrite.length, skippedDuplicates };
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } catch (error) {
    // A writer that took one of the ids after the check (the advisory locks cover streams, not ids).
    const { code, constraint, detail } = pgErrorInfo(error);
    if (code === '23505' && constraint === 'events_event_id_key') {
      const eventId = /\(event_id\)=\(([^)]+)\)/.exec(detail ?? '')?.[1] ?? '(unknown id)';
      const fileStream = events.find((e) => e.eventId.toLowerCase() === eventId.toLowerCase())?.streamName ?? '(unknown)';
      // The transaction is rolled back and the connection idle: ask it where the id went.
      const storedIn =
        client && !broken
          ? await client
              .query<[string]>({ text: 'SELECT stream_name FROM events WHERE event_id = $1::uuid', values: [eventId], rowMode: 'array' })
              .then(
                (r) => r.rows[0]?.[0],
                () => undefined,
              )
          : undefined;
      throw new EventIdsTakenError([{ eventId, storedIn: storedIn ?? '(another writer)', fileStream }]);
    }
    throw toStoreError(error, 'importEventsInOneTransaction');
  } finally {
    client?.release(broken);
  }
}

/** EventIdsTakenError when the target holds any of `toWrite`'s ids (at most 20 named), one indexed lookup per chunk. */
async function refuseTakenIds(client: PoolClient, toWrite: readonly ImportedEvent[]): Promise<void> {
  const fileStreams = new Map(toWrite.map((e) => [e.eventId.toLowerCase(), e.streamName]));
  const taken: TakenEventId[] = [];
  for (let i = 0; i < toWrite.length && taken.length < 20; i += 10_000) {
    const found = await client.query<[string, string]>({
      text: 'SELECT event_id::text, stream_name FROM events WHERE event_id = ANY($1::uuid[]) ORDER BY global_position LIMIT 20',
      values: [toWrite.slice(i, i + 10_000).map((e) => e.eventId)],
      rowMode: 'array',
    });
    for (const [eventId, storedIn] of found.rows) taken.push({ eventId, storedIn, fileStream: fileStreams.get(eventId) ?? '(unknown)' });
  }
  if (taken.length > 0) throw new EventIdsTakenError(taken.slice(0, 20));
}
