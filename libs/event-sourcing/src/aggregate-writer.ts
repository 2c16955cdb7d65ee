import type { Decider, DomainEvent } from '@dropline/domain';
import type { Span } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  AppendTooLargeError,
  droplineTracer,
  EventStore,
  isDataRefusal,
  NewEvent,
  parentContext,
  RecordedEvent,
  startBatchSpan,
  traceparentOf,
  withSpan,
  WrongExpectedRevisionError,
} from '@dropline/event-store';
import { CommandContext, EventSchema, toDomainEvent, toNewEvent } from './envelope';

/** The result one caller gets: the events its command produced and the answer computed right after them. */
export interface CommandOutcome<E, R> {
  events: E[];
  answer: R;
  /** Stream revision after the part of the batch that carried this command was appended. */
  revision: number;
}

export interface AggregateWriterOptions {
  /** Most commands decided together (appended in one write, or in parts when over the store's maxAppendBytes). */
  maxBatchSize?: number;
  /** Streams whose state stays cached between batches (least recently used are dropped). */
  maxCachedStreams?: number;
  /** Re-decide attempts after a conflict with another process before giving up. */
  maxConflictRetries?: number;
  /** Events read per page when (re)loading a stream. */
  loadPageSize?: number;
  /** Told about batches, appends, conflicts and re-decisions (metrics); called on the hot path, so keep it cheap. */
  observer?: WriterObserver;
  /**
   * Event types whose last occurrence in each stream the writer remembers (id, correlation id,
   * revision) beside the state, so that what reacts to the stream can name the event as its cause
   * (e.g. the scheduler names the DropScheduled/DropRevised that set a time). Kept like the state:
   * folded from the stream, so a restart loses nothing.
   */
  rememberTypes?: readonly string[];
}

/** What the writer reports as it works (the platform's Prometheus metrics implement it). */
export interface WriterObserver {
  /** A batch of `commands` taken from a stream's queue. */
  batch(commands: number): void;
  /** One append (a part of a batch) stored, how long it took and what it carried. */
  appended(seconds: number, events: ReadonlyArray<{ type: string }>): void;
  /** An append refused for a wrong expected revision. */
  conflict(): void;
  /** Commands decided again after a conflict. */
  redecided(commands: number): void;
}

/** The envelope of a remembered event: what a reaction to it names as its causation and keeps as its correlation. */
export interface EventRef {
  eventId: string;
  correlationId: string;
  revision: number;
}

/** The last remembered event of each `rememberTypes` type in a stream. */
export type RememberedEvents = Record<string, EventRef>;

/** Thrown to a caller when another writer kept winning the stream. */
export class ConcurrencyExhaustedError extends Error {
  readonly code = 'STORE.CONCURRENCY_EXHAUSTED';
  constructor(streamName: string, attempts: number) {
    super(`Stream ${streamName} kept changing under ${attempts} attempts`);
  }
}

/**
 * Thrown to a caller whose command produced events the store refuses to hold (e.g. a NUL or an
 * unpaired surrogate in a text field, which PostgreSQL rejects in jsonb). The message is safe to
 * show; `cause` keeps the store's error for the log. Other commands of the same batch are not
 * affected: the writer isolated this one by appending the batch in halves.
 */
export class UnstorableCommandError extends Error {
  readonly code = 'COMMAND.UNSTORABLE';
  constructor(
    readonly streamName: string,
    override readonly cause: unknown,
  ) {
    super('The command carries data that cannot be stored (e.g. a NUL character or an unpaired surrogate in a text field)');
    this.name = 'UnstorableCommandError';
  }
}

/**
 * Thrown to a caller whose command's events alone are larger than one append may be (the store's
 * maxAppendBytes, or a smaller limit its server enforces). Nothing of it was stored, and the
 * commands decided after it were decided as if it had never been sent.
 */
export class CommandTooLargeError extends Error {
  readonly code = 'COMMAND.TOO_LARGE';
  constructor(
    readonly streamName: string,
    /** The events' size as the store counts it, when known. */
    readonly size: number | undefined,
    readonly maxAppendBytes: number,
    override readonly cause?: unknown,
  ) {
    super(
      `The command's events (${size === undefined ? 'over the limit' : `${size} bytes`}) exceed what the event store takes in one append (${maxAppendBytes} bytes)`,
    );
    this.name = 'CommandTooLargeError';
  }
}

/**
 * Thrown when a stream's recorded revisions do not run 0, 1, 2, … without a gap: the stream was
 * truncated ($maxCount/$maxAge or a soft delete on EventStoreDB), or events were removed or
 * written around the store. Folding it would yield a wrong state (a cap, a price tier, a
 * customer's limit), so the writer refuses the stream and caches nothing until it is repaired.
 */
export class StreamNotContiguousError extends Error {
  readonly code = 'STREAM.NOT_CONTIGUOUS';
  constructor(
    readonly streamName: string,
    /** The revision that had to come next. */
    readonly expectedRevision: number,
    /** The revision the store returned instead. */
    readonly actualRevision: number,
  ) {
    super(`Stream ${streamName} is not contiguous: revision ${expectedRevision} expected, ${actualRevision} found`);
    this.name = 'StreamNotContiguousError';
  }
}

interface Pending<S, C, E, R> {
  command: C;
  context: CommandContext;
  answer: (state: S, events: E[]) => R;
  resolve: (outcome: CommandOutcome<E, R>) => void;
  reject: (error: unknown) => void;
  /** The command's span (in its request's trace); its context is the stored envelopes' traceparent. */
  span: Span;
}

interface StreamEntry<S> {
  /** Undefined until loaded, and again after a failed append made the cache untrustworthy. */
  state: S | undefined;
  revision: number;
  remembered: RememberedEvents;
  queue: Pending<S, any, any, any>[];
  draining: boolean;
}

type Decided<E, R> = { ok: true; events: E[]; answer: R } | { ok: false; error: unknown };

/** Consecutive commands of a batch appended together: one append, one expected revision. */
interface Part<E> {
  decided: Decided<E, unknown>[];
  events: NewEvent[];
  bytes: number;
}

/**
 * The one load → decide → append path for every command.
 *
 * Commands for the same stream queue behind a single writer per stream (per process).
 * The writer takes everything waiting, decides the commands one after another against
 * the cached state, and appends their events with the stream's expected revision. Each
 * caller then gets its own answer or its own rejection. With one waiting command this is
 * the ordinary path; under a hot drop it turns thousands of would-be optimistic conflicts
 * into a handful of large appends.
 *
 * A batch is appended in parts, each at most the store's maxAppendBytes (as the store's
 * appendSize counts it): consecutive commands go into one part until the next one's events
 * would not fit. The parts are decided in turn — each command on the state the previous one
 * left, so they share the cap and the price ladder — and appended one after another with
 * consecutive expected revisions. A caller is answered (accepted or rejected) once the part
 * it sits in is stored, never earlier: a rejection decided after a part is only true if
 * that part is. A command whose events alone are over the limit gets CommandTooLargeError
 * and is decided as if it had not been sent (its events never touch the state).
 *
 * Across processes the expected revision still guards the stream: a part that loses the
 * race is never partially applied — the writer reloads the stream and re-decides only the
 * commands not yet answered, against the fresh state.
 *
 * Deciders may evolve their state in place (linear states), so a part that fails to
 * append leaves the cached state ahead of the store; the cache is dropped then and the
 * stream is reloaded before the next decision.
 *
 * One command's data must not sink its batch: when the store refuses a part for what it
 * carries (isDataRefusal — not a revision conflict, not an outage; a part over a smaller limit
 * the server enforces is one too), the writer reloads and appends that part again in two
 * halves, first half first, recursively, until only the commands that cannot be stored are
 * left; each of those gets UnstorableCommandError (CommandTooLargeError when it was refused for
 * its size) and every other caller its normal answer. At most ceil(log2(part)) levels deep.
 * Cutting by size and halving on a refusal are the same mechanism: a batch is always stored as
 * a sequence of parts, answered part by part.
 *
 * A stream whose recorded revisions do not run 0, 1, 2, … is refused with
 * StreamNotContiguousError and never cached.
 */
export class AggregateWriter<S, C, E extends DomainEvent> {
  private readonly streams = new Map<string, StreamEntry<S>>();
  private readonly maxBatchSize: number;
  private readonly maxCachedStreams: number;
  private readonly maxConflictRetries: number;
  private readonly loadPageSize: number;
  private readonly observer: WriterObserver | undefined;
  private readonly rememberTypes: ReadonlySet<string>;
  private closed = false;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<S, C, E>,
    private readonly schema: EventSchema,
    options: AggregateWriterOptions = {},
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 1000;
    this.maxCachedStreams = options.maxCachedStreams ?? 10_000;
    this.maxConflictRetries = options.maxConflictRetries ?? 50;
    this.loadPageSize = options.loadPageSize ?? 5000;
    this.observer = options.observer;
    this.rememberTypes = new Set(options.rememberTypes ?? []);
  }

  /** Decides `command` on `streamName` and appends its events; resolves once they are stored. */
  execute<R>(streamName: string, command: C, context: CommandContext, answer: (state: S, events: E[]) => R): Promise<CommandOutcome<E, R>> {
    if (this.closed) return Promise.reject(new Error('AggregateWriter is closed'));
    const type = (command as { type?: unknown }).type;
    const span = droplineTracer().startSpan(
      `command ${typeof type === 'string' ? type : 'unknown'}`,
      { attributes: { 'dropline.stream': streamName, 'dropline.actor': context.actor } },
      parentContext(context.traceparent),
    );
    // The events of this command carry the command span's context (with tracing off: the one it was given).
    const traced: CommandContext = { ...context, traceparent: traceparentOf(span) };
    return new Promise<CommandOutcome<E, R>>((resolve, reject) => {
      const entry = this.entryFor(streamName);
      entry.queue.push({
        command,
        context: traced,
        answer,
        span,
        resolve: (outcome) => {
          span.addEvent('appended', { 'dropline.revision': outcome.revision, 'dropline.events': outcome.events.length });
          span.end();
          resolve(outcome);
        },
        reject: (error) => {
          span.addEvent('rejected');
          const code = (error as { code?: unknown })?.code;
          if (typeof code === 'string') span.setAttribute('dropline.rejection', code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          span.end();
          reject(error);
        },
      });
      if (!entry.draining) {
        entry.draining = true;
        // Yield once so that commands arriving in the same tick join the first batch.
        setImmediate(() => void this.drain(streamName, entry));
      }
    });
  }

  /**
   * The stream's current state for readers. A warm cache is caught up with whatever other
   * processes appended since; while a batch is in flight the cache runs ahead of the store,
   * so the reader gets a fresh fold instead.
   */
  async load(streamName: string): Promise<{ state: S; revision: number; remembered: RememberedEvents }> {
    const entry = this.streams.get(streamName);
    if (entry?.state !== undefined && !entry.draining) {
      const from = entry.revision;
      const newer = await this.store.readStream(streamName, { direction: 'forwards', fromRevision: from + 1, maxCount: this.loadPageSize });
      // Re-check after the await: only apply onto the exact state the read started from.
      if (entry.state !== undefined && !entry.draining && entry.revision === from && newer.length < this.loadPageSize) {
        const gap = newer.findIndex((recorded, i) => recorded.revision !== from + 1 + i);
        if (gap >= 0) {
          // Checked before anything is evolved; the stream cannot be trusted, so nothing of it stays cached.
          entry.state = undefined;
          throw new StreamNotContiguousError(streamName, from + 1 + gap, newer[gap].revision);
        }
        let state: S = entry.state;
        for (const recorded of newer) {
          state = this.decider.evolve(state, toDomainEvent<E>(recorded, this.schema));
          this.remember(entry.remembered, recorded);
        }
        entry.state = state;
        if (newer.length > 0) entry.revision = newer[newer.length - 1].revision;
        return { state, revision: entry.revision, remembered: { ...entry.remembered } };
      }
    }
    return this.fold(streamName);
  }

  /** The cached state of a stream, if any (may run ahead of the store while a batch is in flight). */
  cachedState(streamName: string): S | undefined {
    return this.streams.get(streamName)?.state;
  }

  /** Every cached state with its stream name (read them, never evolve them; may run ahead of the store while a batch is in flight). */
  *cachedStates(): IterableIterator<[string, S]> {
    for (const [name, entry] of this.streams) if (entry.state !== undefined) yield [name, entry.state];
  }

  /** Stops taking commands and waits for in-flight batches to finish. */
  async close(): Promise<void> {
    this.closed = true;
    while ([...this.streams.values()].some((e) => e.draining)) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private entryFor(streamName: string): StreamEntry<S> {
    let entry = this.streams.get(streamName);
    if (entry) {
      // Map iteration order is insertion order: re-inserting keeps it an LRU.
      this.streams.delete(streamName);
      this.streams.set(streamName, entry);
      return entry;
    }
    entry = { state: undefined, revision: -1, remembered: {}, queue: [], draining: false };
    this.streams.set(streamName, entry);
    this.evict();
    return entry;
  }

  private evict(): void {
    if (this.streams.size <= this.maxCachedStreams) return;
    for (const [name, e] of this.streams) {
      if (this.streams.size <= this.maxCachedStreams) break;
      if (!e.draining && e.queue.length === 0) this.streams.delete(name);
    }
  }

  private async drain(streamName: string, entry: StreamEntry<S>): Promise<void> {
    try {
      while (entry.queue.length > 0) {
        const batch = entry.queue.splice(0, this.maxBatchSize);
        this.observer?.batch(batch.length);
        for (const p of batch) p.span.addEvent('dequeued', { 'dropline.batch_size': batch.length });
        // The batch's own trace, linked to every command in it (they belong to their requests' traces).
        const span = startBatchSpan('writer.batch', { 'dropline.stream': streamName, 'dropline.batch_size': batch.length }, () =>
          batch.map((p) => p.context.traceparent),
        );
        try {
          await withSpan(span, () => this.processBatch(streamName, entry, batch));
        } finally {
          span.end();
        }
      }
    } finally {
      entry.draining = false;
    }
  }

  private async processBatch(streamName: string, entry: StreamEntry<S>, batch: Pending<S, C, E, any>[]): Promise<void> {
    // The commands not answered yet, in order; the parts of each round are cut from its front.
    let remaining = batch;
    // Conflicts since the last part that was stored.
    let conflicts = 0;
    while (remaining.length > 0) {
      let parts: Part<E>[];
      try {
        if (entry.state === undefined) {
          const loaded = await this.fold(streamName);
          entry.state = loaded.state;
          entry.revision = loaded.revision;
          entry.remembered = loaded.remembered;
        } else {
          await this.catchUp(streamName, entry);
        }
        parts = this.decideParts(streamName, entry, remaining);
      } catch (error) {
        entry.state = undefined;
        for (const p of remaining) p.reject(error);
        return;
      }
      let redecide = false;
      for (const part of parts) {
        const commands = remaining.slice(0, part.decided.length);
        const expected = entry.revision;
        let revision: number;
        try {
          if (part.events.length === 0) revision = expected;
          else {
            const started = this.observer ? performance.now() : 0;
            revision = (await this.store.appendToStream(streamName, part.events, expected === -1 ? 'no_stream' : expected))
              .nextExpectedRevision;
            this.observer?.appended((performance.now() - started) / 1000, part.events);
          }
        } catch (error) {
          // The state was evolved past the store: it cannot be trusted any more.
          entry.state = undefined;
          if (error instanceof WrongExpectedRevisionError) this.observer?.conflict();
          if (error instanceof WrongExpectedRevisionError && ++conflicts < this.maxConflictRetries) {
            this.observer?.redecided(remaining.length);
            redecide = true;
            break;
          }
          if (isDataRefusal(error)) {
            // Nothing of this part was appended. Isolate the command(s) the store refuses: each half
            // is reloaded, re-decided and appended on its own (a part that fails has >= 1 command).
            if (commands.length === 1) {
              commands[0].reject(this.refusal(streamName, error));
            } else {
              const half = Math.ceil(commands.length / 2);
              await this.processBatch(streamName, entry, commands.slice(0, half));
              await this.processBatch(streamName, entry, commands.slice(half));
            }
            remaining = remaining.slice(commands.length);
            redecide = true;
            break;
          }
          const failure = error instanceof WrongExpectedRevisionError ? new ConcurrencyExhaustedError(streamName, conflicts) : error;
          for (const p of remaining) p.reject(failure);
          return;
        }
        // Only the remembered types cost anything here (pre-orders, the hot path, are not among them).
        if (this.rememberTypes.size > 0)
          part.events.forEach((event, i) => {
            if (this.rememberTypes.has(event.type))
              entry.remembered[event.type] = {
                eventId: event.eventId,
                correlationId: event.metadata.correlationId,
                revision: expected + 1 + i,
              };
          });
        entry.revision = revision;
        conflicts = 0;
        part.decided.forEach((d, i) =>
          d.ok ? commands[i].resolve({ events: d.events, answer: d.answer, revision }) : commands[i].reject(d.error),
        );
        remaining = remaining.slice(commands.length);
      }
      if (!redecide) return;
    }
  }

  /** What a lone command the store refused for its data gets. */
  private refusal(streamName: string, error: unknown): Error {
    if (error instanceof AppendTooLargeError) return new CommandTooLargeError(streamName, error.size, error.maxAppendBytes, error);
    return new UnstorableCommandError(streamName, error);
  }

  /**
   * Brings the cached state up to what the store holds before a batch is decided. The expected
   * revision only guards batches that append: a rejection ("window not open", "sold out") or an
   * idempotent no-op appends nothing, so without this read it could be answered from a state
   * another process has moved past. One indexed read per batch (usually empty) is the price.
   */
  private async catchUp(streamName: string, entry: StreamEntry<S>): Promise<void> {
    let state = entry.state as S;
    for (;;) {
      const page = await this.store.readStream(streamName, {
        direction: 'forwards',
        fromRevision: entry.revision + 1,
        maxCount: this.loadPageSize,
      });
      for (const recorded of page) {
        assertNextRevision(streamName, entry.revision, recorded);
        state = this.decider.evolve(state, toDomainEvent<E>(recorded, this.schema));
        this.remember(entry.remembered, recorded);
        entry.revision = recorded.revision;
      }
      entry.state = state;
      if (page.length < this.loadPageSize) return;
    }
  }

  /**
   * Decides `batch` in order against the cached state and cuts it into parts of at most
   * maxAppendBytes: a command joins the current part unless its events would take the part over
   * the limit (a part always takes at least one command). Every command sits in a part, the
   * rejected ones too, so each is answered only once the state it was decided on is stored.
   */
  private decideParts(streamName: string, entry: StreamEntry<S>, batch: Pending<S, C, E, any>[]): Part<E>[] {
    const max = this.store.maxAppendBytes;
    const parts: Part<E>[] = [];
    let part: Part<E> = { decided: [], events: [], bytes: 0 };
    let state = entry.state as S;
    for (const p of batch) {
      let events: E[];
      try {
        // decide is pure and leaves the state untouched, so a rejection only concerns its caller.
        events = this.decider.decide(p.command, state);
      } catch (error) {
        part.decided.push({ ok: false, error });
        continue;
      }
      const stored = events.map((e) => toNewEvent(e, p.context, this.schema));
      const bytes = this.measure(stored);
      if (bytes > max) {
        part.decided.push({ ok: false, error: new CommandTooLargeError(streamName, bytes, max) });
        continue;
      }
      if (stored.length > 0 && part.events.length > 0 && part.bytes + bytes > max) {
        parts.push(part);
        part = { decided: [], events: [], bytes: 0 };
      }
      // evolve may change the state in place: if it throws, processBatch fails the whole
      // batch and drops the cache rather than append events decided on a broken state.
      for (const e of events) state = this.decider.evolve(state, e);
      entry.state = state;
      part.decided.push({ ok: true, events, answer: p.answer(state, events) });
      p.span.addEvent('decided', { 'dropline.events': events.length });
      part.events.push(...stored);
      part.bytes += bytes;
    }
    entry.state = state;
    if (part.decided.length > 0) parts.push(part);
    return parts;
  }

  /**
   * The events' size as the store counts it. An event the store cannot even measure (a value
   * JSON cannot hold) counts as 0: its append then fails on the same value, a data refusal,
   * and the command is isolated like any other unstorable one.
   */
  private measure(events: NewEvent[]): number {
    if (events.length === 0) return 0;
    try {
      return this.store.appendSize(events);
    } catch {
      return 0;
    }
  }

  /** Notes `event` when its type is one to remember (the last one of its type wins: events come in stream order). */
  private remember(remembered: RememberedEvents, event: Pick<RecordedEvent, 'eventId' | 'type' | 'metadata' | 'revision'>): void {
    if (this.rememberTypes.has(event.type))
      remembered[event.type] = { eventId: event.eventId, correlationId: event.metadata.correlationId, revision: event.revision };
  }

  private async fold(streamName: string): Promise<{ state: S; revision: number; remembered: RememberedEvents }> {
    let state = this.decider.initialState();
    let revision = -1;
    const remembered: RememberedEvents = {};
    for (;;) {
      const page = await this.store.readStream(streamName, {
        direction: 'forwards',
        fromRevision: revision + 1,
        maxCount: this.loadPageSize,
      });
      for (const recorded of page) {
        assertNextRevision(streamName, revision, recorded);
        state = this.decider.evolve(state, toDomainEvent<E>(recorded, this.schema));
        this.remember(remembered, recorded);
        revision = recorded.revision;
      }
      if (page.length < this.loadPageSize) break;
    }
    return { state, revision, remembered };
  }
}

/** Refuses a stream whose revisions do not run on from `previous` (-1 before the first event) by exactly one. */
function assertNextRevision(streamName: string, previous: number, recorded: RecordedEvent): void {
  if (recorded.revision !== previous + 1) throw new StreamNotContiguousError(streamName, previous + 1, recorded.revision);
}
