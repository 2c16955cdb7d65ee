import { dropDecider, DropCommand, DropEvent, DropState } from '@dropline/domain';
import { EventSchema, CommandContext, toDomainEvent, toNewEvent } from '@dropline/event-sourcing';
import { EventStore, WrongExpectedRevisionError } from '@dropline/event-store';

/** The run ended while a command was still retrying. */
export class DeadlineError extends Error {
  constructor() {
    super('run ended before the command got its append in');
  }
}

/**
 * The hot-drop baseline: a fair naive writer. Every command is decided against a cached
 * state and appended on its own with the expected revision; a conflict catches the cache up
 * with only the events it missed (one read shared by everyone waiting) and decides again.
 * No batching, which is the one thing it lacks next to AggregateWriter.
 */
export class NaiveWriter {
  private state: DropState = dropDecider.initialState();
  private revision = -1;
  private catchingUp: Promise<void> | undefined;
  appends = 0;
  conflicts = 0;

  constructor(
    private readonly store: EventStore,
    private readonly streamName: string,
    private readonly schema: EventSchema,
  ) {}

  /** Appends the command's events (one append); resolves with them, throws the domain error. */
  async execute(command: DropCommand, context: CommandContext, deadline = Infinity): Promise<DropEvent[]> {
    for (let attempt = 0; ;) {
      // A fixed-length run ends: a command still retrying then counts as not accepted.
      if (performance.now() > deadline) throw new DeadlineError();
      const expected = this.revision;
      // decide is pure; the cached state is only evolved below, by whoever appended at `expected`.
      const events = dropDecider.decide(command, this.state);
      if (events.length === 0) return events;
      try {
        const result = await this.store.appendToStream(
          this.streamName,
          events.map((e) => toNewEvent(e, context, this.schema)),
          expected === -1 ? 'no_stream' : expected,
        );
        this.appends++;
        if (this.revision === expected) {
          for (const e of events) this.state = dropDecider.evolve(this.state, e);
          this.revision = result.nextExpectedRevision;
        }
        return events;
      } catch (error) {
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        this.conflicts++;
        await this.catchUp();
        // Jittered backoff, as a sensible naive writer does, so 256 callers do not all retry at once.
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** ++attempt, 50)));
      }
    }
  }

  /** Loads the stream before the first command (and catches up after conflicts). */
  load(): Promise<void> {
    return this.catchUp();
  }

  /** Reads what the cache missed, once for all conflicting callers. */
  private catchUp(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        for (;;) {
          const page = await this.store.readStream(this.streamName, {
            direction: 'forwards',
            fromRevision: this.revision + 1,
            maxCount: 1000,
          });
          for (const recorded of page) {
            // Another caller's success may have moved the cache while this read was in flight.
            if (recorded.revision !== this.revision + 1) continue;
            this.state = dropDecider.evolve(this.state, toDomainEvent<DropEvent>(recorded, this.schema));
            this.revision = recorded.revision;
          }
          if (page.length < 1000) return;
        }
      } finally {
        this.catchingUp = undefined;
      }
    })();
    return this.catchingUp;
  }
}
