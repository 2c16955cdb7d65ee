import { isTraceparent, type RecordedEvent } from '@dropline/event-store';
import { headerString, InboundMessage, OutboundMessage } from '../transport';
import type { CeTypeRegistry } from './ce-type';

/** A domain event as a consumer sees it, decoded from a CloudEvents message. */
export interface DeliveredEvent {
  /** ce_id: the stored event id. Consumers deduplicate by it, never by offset. */
  id: string;
  /** The stored type (`PreOrderPlaced`). */
  type: string;
  ceType: string;
  version: number;
  source: string;
  /** ce_subject: the drop id. */
  subject: string;
  /** ce_time: when the fact happened in the domain. */
  time: string;
  correlationId: string | undefined;
  causationId: string | undefined;
  traceparent: string | undefined;
  data: Record<string, unknown>;
}

/** The message can never be read by this code: it goes to the dead-letter topic. */
export class UndeliverableMessageError extends Error {
  constructor(
    readonly reason: 'unparseable' | 'unknown-schema',
    message: string,
  ) {
    super(message);
    this.name = 'UndeliverableMessageError';
  }
}

export interface CloudEventCodecOptions {
  /** ce_source of everything this engine publishes, e.g. `/dropline/engine`. */
  source: string;
  registry: CeTypeRegistry;
  /** Brings a stored payload to the latest schema version of its type. */
  upcast(type: string, schemaVersion: number, data: Record<string, unknown>): Record<string, unknown>;
}

/** CloudEvents 1.0 required attributes and the extensions Dropline sets (lowercase alphanumerics). */
export const CE_HEADERS = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  time: 'ce_time',
  subject: 'ce_subject',
  partitionkey: 'ce_partitionkey',
  correlationid: 'ce_correlationid',
  causationid: 'ce_causationid',
  contentType: 'content-type',
  traceparent: 'traceparent',
} as const;

/**
 * The drop an event belongs to: the id of a `drop-<id>` stream, else the payload's dropId
 * (side streams such as `visits-<id>` carry it). It is the Kafka key, so one drop's events
 * stay in one partition and in store order.
 */
export function dropIdOfEvent(event: Pick<RecordedEvent, 'streamName' | 'data'>): string {
  const fromData = event.data?.dropId;
  if (event.streamName.startsWith('drop-')) return event.streamName.slice('drop-'.length);
  if (typeof fromData === 'string' && fromData.length > 0) return fromData;
  // Not a drop's event: the stream name still keeps that stream in order.
  return event.streamName;
}

/** Maps stored events to Kafka messages (binary content mode) and back. */
export class CloudEventCodec {
  constructor(private readonly options: CloudEventCodecOptions) {}

  /** The message for a stored event: value = payload upcast to the latest version, envelope in ce_* headers. */
  encode(event: RecordedEvent): OutboundMessage {
    const { registry } = this.options;
    // A type this code does not know (written by newer code) is forwarded as stored rather
    // than dropped: consumers that know it can read it, the others dead-letter it.
    const known = registry.knows(event.type) && event.schemaVersion <= (registry.latestVersions[event.type] ?? 1);
    const data = known ? this.options.upcast(event.type, event.schemaVersion, event.data) : event.data;
    const ceType = known ? registry.ceTypeOf(event.type) : `dropline.${event.type.toLowerCase()}.v${event.schemaVersion}`;
    const dropId = dropIdOfEvent(event);
    const headers: Record<string, string> = {
      [CE_HEADERS.specversion]: '1.0',
      [CE_HEADERS.id]: event.eventId,
      [CE_HEADERS.source]: this.options.source,
      [CE_HEADERS.type]: ceType,
      [CE_HEADERS.time]: event.metadata.occurredAt,
      [CE_HEADERS.subject]: dropId,
      [CE_HEADERS.partitionkey]: dropId,
      [CE_HEADERS.correlationid]: event.metadata.correlationId,
      [CE_HEADERS.contentType]: 'application/json',
    };
    if (event.metadata.causationId) headers[CE_HEADERS.causationid] = event.metadata.causationId;
    // An invalid one (an all-zero id stored by an older engine) is left out: the header is optional, never invalid.
    if (isTraceparent(event.metadata.traceparent)) headers[CE_HEADERS.traceparent] = event.metadata.traceparent;
    return { key: dropId, value: Buffer.from(JSON.stringify(data), 'utf8'), headers };
  }

  /** Reads a message; throws UndeliverableMessageError when it can never be read by this code. */
  decode(message: InboundMessage): DeliveredEvent {
    const h = (name: string) => headerString(message.headers, name);
    const unparseable = (why: string): never => {
      throw new UndeliverableMessageError('unparseable', why);
    };
    if (h(CE_HEADERS.specversion) !== '1.0') unparseable(`ce_specversion must be 1.0 (got ${JSON.stringify(h(CE_HEADERS.specversion))})`);
    const id = h(CE_HEADERS.id) || unparseable('ce_id is missing');
    const ceType = h(CE_HEADERS.type) || unparseable('ce_type is missing');
    const source = h(CE_HEADERS.source) || unparseable('ce_source is missing');
    const subject = h(CE_HEADERS.subject) || unparseable('ce_subject is missing');
    const contentType = h(CE_HEADERS.contentType);
    if (contentType !== undefined && !/^application\/(cloudevents\+)?json\b/.test(contentType))
      unparseable(`content-type ${contentType} is not JSON`);
    const resolved = this.options.registry.resolve(ceType);
    if (!resolved) throw new UndeliverableMessageError('unknown-schema', `unknown event type or schema version ${ceType}`);
    if (message.value === null) unparseable('the message has no value');
    let data: unknown;
    try {
      data = JSON.parse(Buffer.isBuffer(message.value) ? message.value.toString('utf8') : String(message.value));
    } catch (e) {
      unparseable(`the value is not JSON: ${(e as Error).message}`);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) unparseable('the value is not a JSON object');
    const traceparent = h(CE_HEADERS.traceparent);
    return {
      id,
      type: resolved.storedType,
      ceType,
      version: resolved.version,
      source,
      subject,
      time: h(CE_HEADERS.time) ?? '',
      correlationId: h(CE_HEADERS.correlationid),
      causationId: h(CE_HEADERS.causationid),
      traceparent: isTraceparent(traceparent) ? traceparent : undefined,
      // Published payloads are always at the latest version the publisher knew; an older
      // version from this registry's point of view is upcast here as well.
      data: this.options.upcast(resolved.storedType, resolved.version, data as Record<string, unknown>),
    };
  }
}
