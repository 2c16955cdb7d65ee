/**
 * Thrown by the PostgreSQL and PGlite adapters when an event id is already in the store (the
 * same event appended twice). Nothing was appended. Not part of the port's promise: EventStoreDB
 * may answer success or write a second copy instead, so no caller relies on this error to stay
 * idempotent (see NewEvent in event-store.port.ts).
 */
export class DuplicateEventIdError extends Error {
  readonly code = 'STORE.DUPLICATE_EVENT_ID';
  constructor(
    readonly streamName: string,
    /** The duplicated id when the store said which one. */
    readonly eventId: string | undefined,
    override readonly cause?: unknown,
  ) {
    super(`Stream ${streamName}: event ${eventId ?? '(unknown id)'} was already appended`);
    this.name = 'DuplicateEventIdError';
  }
}
