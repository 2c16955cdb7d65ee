import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AppendExpectedRevision,
  type CurrentRevision,
  type Filter,
  type Position,
} from '@eventstore/db-client';
import type { EventFilter, EventMetadata, ExpectedRevision, NewEvent, RecordedEvent } from '../event-store.port';
import { jsonByteLength, MIB } from '../append-size';

/*
 * Pure translations between the port and the EventStoreDB client (v6). No IO here, so every rule
 * is unit-tested without a server (eventstoredb.mapping.spec.ts).
 */

/** Port expected revision -> ESDB expected revision (-1 is "no stream" on both sides). */
export function toEsdbExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected === -1 ? NO_STREAM : BigInt(expected);
  }
}

/** ESDB current revision (as reported in WrongExpectedVersionError) -> port revision, -1 for no stream. */
export function fromEsdbCurrentRevision(actual: CurrentRevision | undefined): number | undefined {
  if (actual === undefined) return undefined;
  return actual === NO_STREAM ? -1 : Number(actual);
}

/** ESDB position -> opaque `${commit}/${prepare}` string. */
export function formatEsdbPosition(position: Position): string {
  return `${position.commit}/${position.prepare}`;
}

const MAX_UINT64 = 2n ** 64n - 1n;

/** Opaque position string -> ESDB position. */
export function parseEsdbPosition(position: string): Position {
  const match = /^(\d{1,20})\/(\d{1,20})$/.exec(position);
  // The client sends both as unsigned 64-bit integers: a larger one is not a position.
  if (!match || BigInt(match[1]) > MAX_UINT64 || BigInt(match[2]) > MAX_UINT64)
    throw new Error(`Not an EventStoreDB position: "${position}"`);
  return { commit: BigInt(match[1]), prepare: BigInt(match[2]) };
}

/** Orders two ESDB positions (commit, then prepare). */
export function compareEsdbPositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** Metadata JSON as stored in ESDB: our envelope plus the `$`-keys ESDB's own projections read. */
export interface EsdbEventMetadata extends EventMetadata {
  schemaVersion: number;
  $correlationId: string;
  $causationId?: string;
}

/** The JSON event (id, type, data, metadata) that carries a port event into ESDB. */
export function toEsdbEvent(event: NewEvent): { id: string; type: string; data: Record<string, unknown>; metadata: EsdbEventMetadata } {
  const metadata: EsdbEventMetadata = {
    ...event.metadata,
    schemaVersion: event.schemaVersion,
    $correlationId: event.metadata.correlationId,
  };
  // ESDB projections expect $causationId to be absent rather than null when nothing caused it.
  if (event.metadata.causationId !== null) metadata.$causationId = event.metadata.causationId;
  return { id: event.eventId, type: event.type, data: event.data, metadata };
}

/** EventStoreDB's default MaxAppendSize (a server setting; servers may raise it). */
export const ESDB_DEFAULT_MAX_APPEND_SIZE = MIB;

/**
 * Size of one event as EventStoreDB counts it against MaxAppendSize (Event.SizeOnDisk): the bytes of
 * its data and of its metadata as the client sends them — UTF-8 JSON of toEsdbEvent, so including
 * `schemaVersion` and the `$correlationId`/`$causationId` copies — plus 2 × the length of its type
 * in UTF-16 code units. Exact for servers from 25.0; servers before 25.0 count only the data (an
 * operator-precedence slip in SizeOnDisk), so there it is an upper bound and never refused.
 */
export function esdbEventSize(event: NewEvent): number {
  const { type, data, metadata } = toEsdbEvent(event);
  return jsonByteLength(data) + jsonByteLength(metadata) + 2 * type.length;
}

/** True for ESDB's own events ($-prefixed types or streams: stats, settings, projections, links). */
export function isSystemEvent(event: { streamId: string; type: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/** The subset of an ESDB recorded event the mapping reads (keeps it independent of client generics). */
export interface EsdbRecordedEventLike {
  streamId: string;
  id: string;
  revision: bigint;
  type: string;
  created: Date;
  isJson: boolean;
  data: unknown;
  metadata: unknown;
  position?: Position;
}

/**
 * ESDB recorded event -> port event, or undefined for system events (`$…`), which are not
 * Dropline's. Events written without our envelope get neutral defaults. A payload Dropline
 * cannot decode — a binary (non-JSON) event, or JSON content that does not parse (the client
 * then hands over the raw string) — is still returned, with `decodeError` set, so readers
 * report it with its position and stop at it or skip it (ON_BAD_EVENT) instead of never
 * seeing it.
 */
export function fromEsdbEvent(event: EsdbRecordedEventLike): RecordedEvent | undefined {
  if (isSystemEvent(event)) return undefined;
  const metadataIsObject = typeof event.metadata === 'object' && event.metadata !== null && !(event.metadata instanceof Uint8Array);
  const raw = (metadataIsObject ? event.metadata : {}) as Partial<EsdbEventMetadata>;
  const metadata: EventMetadata = {
    correlationId: raw.correlationId ?? raw.$correlationId ?? '',
    causationId: raw.causationId ?? raw.$causationId ?? null,
    actor: raw.actor ?? 'unknown',
    occurredAt: raw.occurredAt ?? event.created.toISOString(),
    traceparent: raw.traceparent ?? '',
  };
  const dataIsObject =
    typeof event.data === 'object' && event.data !== null && !Array.isArray(event.data) && !(event.data instanceof Uint8Array);
  const decodeError = !event.isJson
    ? 'stored as binary data (content type is not application/json)'
    : event.data !== undefined && event.data !== null && !dataIsObject
      ? 'stored payload is not a JSON object (malformed JSON or another value)'
      : event.metadata instanceof Uint8Array
        ? 'stored metadata is not valid JSON'
        : undefined;
  return {
    eventId: event.id,
    type: event.type,
    schemaVersion: typeof raw.schemaVersion === 'number' ? raw.schemaVersion : 1,
    data: (dataIsObject ? event.data : {}) as Record<string, unknown>,
    metadata,
    streamName: event.streamId,
    revision: Number(event.revision),
    position: event.position ? formatEsdbPosition(event.position) : '',
    recordedAt: event.created.toISOString(),
    ...(decodeError ? { decodeError } : {}),
  };
}

export { matchesFilter } from '../event-filter';

/**
 * The server-side filter for subscribeToAll. ESDB filters on stream name OR event type, never both,
 * so with both lists the event types go to the server (Dropline's types name rare facts, while a
 * prefix such as `drop-` matches the busiest streams) and the prefixes are checked client-side
 * (matchesFilter). Types use an anchored regex: ESDB type prefixes would let `Drop` match `DropOpened`.
 * Without a filter, system events are excluded on the server.
 */
export function toEsdbSubscriptionFilter(filter: EventFilter | undefined): Filter {
  if (filter?.eventTypes) return eventTypeFilter({ regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` });
  if (filter?.streamPrefixes) return streamNameFilter({ prefixes: filter.streamPrefixes });
  return excludeSystemEvents();
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
