/**
 * A decider is the whole behaviour of an aggregate as three pure functions.
 * No IO, no clock, no randomness: time and ids arrive inside the command.
 */
export interface Decider<State, Command, Event> {
  initialState(): State;
  /** Returns the events the command causes; [] when there is nothing left to do. Throws DomainError on a broken rule. */
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
}

/** A domain event before it is wrapped in the storage envelope. */
export interface DomainEvent<T extends string = string, D = Record<string, unknown>> {
  type: T;
  data: D;
}

/** A broken business rule. `code` is stable and public (`DROP.SOLD_OUT`); `details` go into the problem body. */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    // A rejection is an expected answer, not a bug, and a sold-out drop answers most of its
    // 100 000+ requests with one: capturing a stack trace would cost more than deciding.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'DomainError';
  }
}
