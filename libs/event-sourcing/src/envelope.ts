import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '@dropline/domain';
import type { EventMetadata, NewEvent, RecordedEvent } from '@dropline/event-store';

/** Who and what caused a command: becomes the envelope of every event it appends. */
export interface CommandContext {
  actor: string;
  correlationId: string;
  /** The id of the request or event that caused this command. */
  causationId: string | null;
  traceparent: string;
  /** Domain time of the command (ISO-8601), from the app's clock. */
  occurredAt: string;
}

/** Maps stored type names to their current schema version, and upcasts old payloads on read. */
export interface EventSchema {
  versionOf(type: string): number;
  upcast(type: string, schemaVersion: number, data: Record<string, unknown>): Record<string, unknown>;
}

/** Wraps a domain event in the storage envelope. */
export function toNewEvent(event: DomainEvent, context: CommandContext, schema: EventSchema): NewEvent {
  const metadata: EventMetadata = {
    correlationId: context.correlationId,
    causationId: context.causationId,
    actor: context.actor,
    occurredAt: context.occurredAt,
    traceparent: context.traceparent,
  };
  return {
    eventId: randomUUID(),
    type: event.type,
    schemaVersion: schema.versionOf(event.type),
    data: event.data as Record<string, unknown>,
    metadata,
  };
}

/** Unwraps a stored event into the domain event it carries, upcast to the latest schema. */
export function toDomainEvent<E extends DomainEvent>(recorded: RecordedEvent, schema: EventSchema): E {
  return { type: recorded.type, data: schema.upcast(recorded.type, recorded.schemaVersion, recorded.data) } as E;
}
