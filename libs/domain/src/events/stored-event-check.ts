import { EVENT_SCHEMA_VERSIONS } from '../drop/drop.events';
import { upcast } from './upcasting';

/** What can be wrong with a stored event, as a reader sees it. */
export type StoredEventProblem = 'unknown-type' | 'newer-schema' | 'undecodable';

/** The verdict on one stored event: readable, or the problem and a one-line detail. */
export type StoredEventCheck = { ok: true } | { ok: false; problem: StoredEventProblem; detail: string };

/** The part of a stored event the check reads (structurally a RecordedEvent). */
export interface StoredEventLike {
  type: string;
  schemaVersion: number;
  data: unknown;
  /** Set by a store adapter that could not decode the stored payload (invalid JSON). */
  decodeError?: string;
}

/** What a reader does with a bad event: stall at it (default) or report it and move past it. */
export type BadEventPolicy = 'stop' | 'skip';
export const BAD_EVENT_POLICIES = ['stop', 'skip'] as const satisfies readonly BadEventPolicy[];

const OK: StoredEventCheck = Object.freeze({ ok: true });

/**
 * Classifies a stored event before a reader folds or publishes it: a type this code does not
 * know, a schema version newer than it writes (newer code wrote it; reading it would lose
 * data), or a payload that cannot be decoded or upcast. Pure and cheap: no schema validation
 * of the payload's fields (that is the writer's job), only what would make a reader crash.
 */
export function classifyStoredEvent(event: StoredEventLike): StoredEventCheck {
  if (event.decodeError !== undefined) return { ok: false, problem: 'undecodable', detail: event.decodeError };
  if (!Object.prototype.hasOwnProperty.call(EVENT_SCHEMA_VERSIONS, event.type)) {
    return { ok: false, problem: 'unknown-type', detail: `unknown event type ${JSON.stringify(event.type)}` };
  }
  const latest = EVENT_SCHEMA_VERSIONS[event.type as keyof typeof EVENT_SCHEMA_VERSIONS];
  if (Number.isInteger(event.schemaVersion) && event.schemaVersion > latest) {
    return {
      ok: false,
      problem: 'newer-schema',
      detail: `${event.type} schema version ${event.schemaVersion}; this code knows up to ${latest}`,
    };
  }
  const data = event.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      problem: 'undecodable',
      detail: `${event.type} payload is ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}, not an object`,
    };
  }
  // Nothing to upcast at the latest version: skip the call on the hot path.
  if (event.schemaVersion === latest) return OK;
  try {
    upcast(event.type, event.schemaVersion, data as Record<string, unknown>);
    return OK;
  } catch (e) {
    return { ok: false, problem: 'undecodable', detail: e instanceof Error ? e.message : String(e) };
  }
}

/** A stored event a reader could not use, with where it sits in the log. */
export interface BadEvent {
  position: string;
  streamName: string;
  revision: number;
  eventId: string;
  type: string;
  schemaVersion: number;
  problem: StoredEventProblem;
  detail: string;
}

/** The event and its problem, or undefined when a reader can use it. */
export function badEventOf(event: StoredEventLike & Omit<BadEvent, 'problem' | 'detail'>): BadEvent | undefined {
  const check = classifyStoredEvent(event);
  if (check.ok) return undefined;
  const { position, streamName, revision, eventId, type, schemaVersion } = event;
  return { position, streamName, revision, eventId, type, schemaVersion, problem: check.problem, detail: check.detail };
}

/** What a reader does at a bad event (ON_BAD_EVENT). */
type ScreenPolicy = 'stop' | 'skip';

/**
 * A page as a reader may use it: with `stop`, its events up to (not including) the first bad one,
 * named `stoppedAt`; with `skip`, its events without the bad ones, listed in `skipped`. The one
 * screen every reader of the log applies (projections, the restock reactor, the relay); each
 * reports what it found in its own words and status.
 */
export function screenBadEvents<E extends StoredEventLike & Omit<BadEvent, 'problem' | 'detail'>>(
  page: readonly E[],
  policy: ScreenPolicy,
): { events: E[]; stoppedAt: BadEvent | undefined; skipped: BadEvent[] } {
  const events: E[] = [];
  const skipped: BadEvent[] = [];
  for (const event of page) {
    const bad = badEventOf(event);
    if (!bad) events.push(event);
    else if (policy === 'stop') return { events, stoppedAt: bad, skipped };
    else skipped.push(bad);
  }
  return { events, stoppedAt: undefined, skipped };
}

/** One log line for a bad event: position, stream, revision, type, problem. */
export function describeBadEvent(bad: BadEvent): string {
  return `bad event at position ${bad.position}: stream ${bad.streamName} revision ${bad.revision} type ${bad.type} v${bad.schemaVersion} id ${bad.eventId}: ${bad.problem} (${bad.detail})`;
}

/** How many skipped bad events a reader keeps in its status. */
export const BAD_EVENTS_KEPT = 100;
