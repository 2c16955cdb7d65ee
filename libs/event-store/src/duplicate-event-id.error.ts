/**
 * Thrown by appendToStream when an event id is already in the store (the same event appended
 * twice, e.g. a retry with `any` after the first attempt committed). Nothing was appended.
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
