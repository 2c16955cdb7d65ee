import { EVENT_SCHEMA_VERSIONS } from '@dropline/domain';
import type { EventMetadata, RecordedEvent } from '@dropline/event-store';

/**
 * One line of a campaign file: a stored event with its whole envelope, keys in a fixed order
 * so two exports of the same history are byte-identical and diff cleanly.
 */
export type CampaignEvent = RecordedEvent;

/** A line of a campaign file that cannot be used; `lineNumber` is 1-based, as an editor shows it. */
export class CampaignFileError extends Error {
  readonly code = 'CAMPAIGN.INVALID_LINE';
  constructor(
    readonly lineNumber: number,
    readonly problem: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}:` : 'line '}${lineNumber}: ${problem}`);
    this.name = 'CampaignFileError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// `<category>-<id>`: the category ends at the first '-' and is what filters and audits lean on.
const STREAM_NAME = /^[a-z][a-z0-9]*-[A-Za-z0-9_.:-]{1,200}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const KNOWN_VERSIONS = EVENT_SCHEMA_VERSIONS as Readonly<Record<string, number>>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Serialises an event as one campaign line (no trailing newline), envelope keys in a fixed order. */
export function toCampaignLine(event: RecordedEvent): string {
  const m = event.metadata;
  return JSON.stringify({
    streamName: event.streamName,
    revision: event.revision,
    position: event.position,
    eventId: event.eventId,
    type: event.type,
    schemaVersion: event.schemaVersion,
    recordedAt: event.recordedAt,
    metadata: {
      correlationId: m.correlationId,
      causationId: m.causationId,
      actor: m.actor,
      occurredAt: m.occurredAt,
      traceparent: m.traceparent,
    },
    data: event.data,
  });
}

/** Parses and checks one campaign line; throws CampaignFileError naming the line and the field. */
export function parseCampaignLine(text: string, lineNumber: number): CampaignEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CampaignFileError(lineNumber, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const fail = (problem: string): never => {
    throw new CampaignFileError(lineNumber, problem);
  };
  if (!isObject(value)) return fail('expected a JSON object');
  const { streamName, revision, position, eventId, type, schemaVersion, recordedAt, metadata, data } = value;
  if (typeof streamName !== 'string' || !STREAM_NAME.test(streamName)) fail('streamName must look like <category>-<id>');
  if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0) fail('revision must be a non-negative integer');
  if (typeof position !== 'string' || position.length === 0) fail('position must be a non-empty string');
  if (typeof eventId !== 'string' || !UUID.test(eventId)) fail('eventId must be a UUID');
  if (typeof type !== 'string' || type.length === 0 || type.length > 200) fail('type must be a non-empty string');
  if (typeof schemaVersion !== 'number' || !Number.isInteger(schemaVersion) || schemaVersion < 1)
    fail('schemaVersion must be a positive integer');
  const latest = KNOWN_VERSIONS[type as string];
  if (latest !== undefined && (schemaVersion as number) > latest)
    fail(`schemaVersion ${String(schemaVersion)} of ${String(type)} is newer than this code knows (${latest})`);
  if (typeof recordedAt !== 'string' || !ISO_INSTANT.test(recordedAt)) fail('recordedAt must be an ISO-8601 instant');
  if (!isObject(data)) fail('data must be a JSON object');
  if (!isObject(metadata)) return fail('metadata must be a JSON object');
  const { correlationId, causationId, actor, occurredAt, traceparent } = metadata;
  if (typeof correlationId !== 'string') fail('metadata.correlationId must be a string');
  if (causationId !== null && typeof causationId !== 'string') fail('metadata.causationId must be a string or null');
  if (typeof actor !== 'string' || actor.length === 0) fail('metadata.actor must be a non-empty string');
  if (typeof occurredAt !== 'string' || !ISO_INSTANT.test(occurredAt)) fail('metadata.occurredAt must be an ISO-8601 instant');
  if (typeof traceparent !== 'string') fail('metadata.traceparent must be a string');
  return value as unknown as CampaignEvent;
}

/**
 * Whole-file rules a single line cannot check: every stream starts at revision 0 and counts up
 * by one (an export always holds whole streams), and no event id appears twice.
 */
export class CampaignConsistency {
  private readonly nextRevision = new Map<string, number>();
  private readonly eventLines = new Map<string, number>();

  /**
   * `uniqueEventIds: false` skips the event-id index (a million-entry map): a replay does not
   * need it, because a repeated line already breaks its stream's revision sequence.
   */
  constructor(private readonly uniqueEventIds = true) {}

  check(event: CampaignEvent, lineNumber: number): void {
    const expected = this.nextRevision.get(event.streamName) ?? 0;
    if (event.revision !== expected) {
      throw new CampaignFileError(
        lineNumber,
        `${event.streamName} revision ${event.revision} where ${expected} was expected (streams must be whole and in order)`,
      );
    }
    this.nextRevision.set(event.streamName, expected + 1);
    if (!this.uniqueEventIds) return;
    const seen = this.eventLines.get(event.eventId);
    if (seen !== undefined) throw new CampaignFileError(lineNumber, `eventId ${event.eventId} already used on line ${seen}`);
    this.eventLines.set(event.eventId, lineNumber);
  }

  /** Stream names seen, with their event counts, in order of first appearance. */
  streams(): Map<string, number> {
    return new Map(this.nextRevision);
  }
}

export type { EventMetadata };
