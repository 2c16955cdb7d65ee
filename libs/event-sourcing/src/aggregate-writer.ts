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
  /**
   * Smallest round the writer cuts a waiting queue into so that one round is decided while the
   * other is appended (the pipeline): with nothing in flight, a queue of at least twice this many
   * commands is taken in two halves. Infinity never cuts. Default 64.
   */
  minPipelinedRound?: number;
  /** Streams whose state stays cached between batches (least recently used are dropped). */
  maxCachedStreams?: number;
  /** Streams readers keep a fold of while a batch is in flight on them (load; least recently read are dropped). Default 64. */
  maxReaderStates?: number;
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
  /** A round of `commands` taken from a stream's queue (commands taken again to be re-decided are not counted twice). */
  batch(commands: number): void;
  /** One append (a part of a batch) stored, how long it took and what it carried. */
  appended(seconds: number, events: ReadonlyArray<{ type: string }>): void;
  /** An append refused for a wrong expected revision, or a part decided ahead that its check read found stale. */
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

/**
 * A stored event of the stream cannot be folded into its state: a type this code does not know,
 * a schema version newer than it reads (a newer engine wrote it: a rolling upgrade), or a payload
 * the upcaster or evolve refuses (damaged by hand). Nothing of the stream is cached; every command
 * and load of it fails with this until the engine is upgraded or the event repaired.
 */
export class UnreadableStoredEventError extends Error {
  readonly code = 'STREAM.UNREADABLE_EVENT';
  readonly streamName: string;
  readonly revision: number;
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly position: string;
  constructor(recorded: RecordedEvent, cause: unknown) {
    super(
      `Stream ${recorded.streamName} revision ${recorded.revision} (event ${recorded.eventId}, position ${recorded.position}, ` +
        `type ${recorded.type} v${recorded.schemaVersion}) cannot be read by this engine: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'UnreadableStoredEventError';
    this.streamName = recorded.streamName;
    this.revision = recorded.revision;
    this.eventId = recorded.eventId;
    this.type = recorded.type;
    this.schemaVersion = recorded.schemaVersion;
    this.position = recorded.position;
  }
}

/** Evolves `state` by a stored event; UnreadableStoredEventError naming the event when it cannot be. */
export function evolveStored<S, E extends DomainEvent>(
  evolve: (state: S, event: E) => S,
  state: S,
  recorded: RecordedEvent,
  schema: EventSchema,
): S {
  try {
    return evolve(state, toDomainEvent<E>(recorded, schema));
  } catch (error) {
    throw new UnreadableStoredEventError(recorded, error);
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
  /** Set once taken from the queue: a command decided again is not counted or traced as dequeued twice. */
  taken?: boolean;
}

interface StreamEntry<S> {
  /** Undefined until loaded, and again after a failed append made the cache untrustworthy. */
  state: S | undefined;
  /** The revision the store holds (the cached state may run ahead of it while parts are decided ahead). */
  revision: number;
  remembered: RememberedEvents;
  queue: Pending<S, any, any, any>[];
  draining: boolean;
}

type Decided<E, R> = { ok: true; events: E[]; answer: R } | { ok: false; error: unknown };

/** Commands taken from the front of the queue and decided together, traced by one span. */
interface Round {
  commands: Pending<any, any, any, any>[];
  /** The round's own trace, linked to every command in it; ends once each of its parts is settled. */
  span: Span;
  /** Parts of the round not settled yet. */
  open: number;
}

/** Consecutive commands of a round appended together: one append, one expected revision. */
interface Part<E> {
  commands: Pending<any, any, E, any>[];
  decided: Decided<E, unknown>[];
  events: NewEvent[];
  bytes: number;
  /** Decided right after a catch-up read with nothing in flight: when it appends nothing, nothing needs checking. */
  fresh: boolean;
  round: Round;
}

/** How storing a part went: the stream's revision after it, or why it was not stored. */
type Stored = { ok: true; revision: number } | { ok: false; error: unknown };

/**
 * The one load → decide → append path for every command.
 *
 * Commands for the same stream queue behind a single writer per stream (per process).
 * The writer takes what is waiting as a round, decides its commands one after another
 * against the cached state, and appends their events with the stream's expected revision.
 * Each caller then gets its own answer or its own rejection. With one waiting command this
 * is the ordinary path; under a hot drop it turns thousands of would-be optimistic
 * conflicts into a handful of large appends.
 *
 * Pipelining. The writer decides the next round while the previous one is appended, so a
 * stream's throughput is bounded by the slower of the two (Node deciding and serialising,
 * the store appending), not by their sum. Rounds are appended strictly in order, each only
 * once the one before it is stored: a round decided ahead is never sent with an expected
 * revision that a previous part, still in flight and possibly failing, would have produced
 * (a foreign writer could land exactly that many events). While a part is being stored the
 * writer yields once (its append reaches the socket, and the callers answered just before
 * queue their next commands), then takes what is queued as the next round and decides it
 * on the cached state, which already includes the parts in flight. When the stored part
 * succeeds, the next one is sent to the store before the stored part's callers are answered.
 *
 * Only a round taken with nothing in flight is decided after a catch-up read (below). In a
 * closed loop nothing arrives while a round is appended, so such a round is cut in two when
 * at least 2 × minPipelinedRound commands wait (the second half is decided while the first
 * is appended; afterwards each half's callers resubmit while the other half is appended).
 * Smaller queues stay whole: cutting them would cost more in commits than it overlaps.
 *
 * A round is appended in parts, each at most the store's maxAppendBytes (as the store's
 * appendSize counts it): consecutive commands go into one part until the next one's events
 * would not fit. The parts are decided in turn — each command on the state the previous one
 * left, so they share the cap and the price ladder — and appended one after another with
 * consecutive expected revisions. A caller is answered (accepted or rejected) once the part
 * it sits in is stored, never earlier: a rejection decided after a part is only true if
 * that part is. A command whose events alone are over the limit gets CommandTooLargeError
 * and is decided as if it had not been sent (its events never touch the state).
 *
 * Stale rejections. The expected revision only guards parts that append: a rejection
 * ("window not open", "sold out") or an idempotent no-op appends nothing. A round taken with
 * nothing in flight is decided after a catch-up read of what other processes appended (one
 * indexed read, usually empty). A part decided ahead that appends nothing is stored as a
 * read instead of an append: once the part before it is stored, the writer checks that
 * nothing was appended since; if something was, the part is treated as a conflict.
 *
 * Across processes the expected revision still guards the stream: a part that loses the
 * race is never partially applied — the writer drops what it decided ahead, reloads the
 * stream and re-decides the commands not yet answered, in order, against the fresh state.
 *
 * Deciders may evolve their state in place (linear states), so a part that fails to
 * append leaves the cached state ahead of the store; the cache is dropped then, with every
 * part decided on top of it, and the stream is reloaded before the next decision.
 *
 * One command's data must not sink its round: when the store refuses a part for what it
 * carries (isDataRefusal — not a revision conflict, not an outage; a part over a smaller limit
 * the server enforces is one too), the writer reloads and appends that part again in two
 * halves, first half first, recursively, until only the commands that cannot be stored are
 * left; each of those gets UnstorableCommandError (CommandTooLargeError when it was refused for
 * its size) and every other caller its normal answer. At most ceil(log2(part)) levels deep.
 * The parts decided ahead of the refused one are decided again after it. Cutting by size and
 * halving on a refusal are the same mechanism: commands are always stored as a sequence of
 * parts, answered part by part.
 *
 * A stream whose recorded revisions do not run 0, 1, 2, … is refused with
 * StreamNotContiguousError and never cached.
 */
export class AggregateWriter<S, C, E extends DomainEvent> {
  private readonly streams = new Map<string, StreamEntry<S>>();
  private readonly maxBatchSize: number;
  private readonly maxCachedStreams: number;
  /** Readers' folds of streams with a batch in flight (see load), least recently read first. */
  private readonly readerStates = new Map<string, { state: S | undefined; revision: number; remembered: RememberedEvents }>();
  private readonly maxReaderStates: number;
  private readonly maxConflictRetries: number;
  private readonly minPipelinedRound: number;
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
    this.maxReaderStates = options.maxReaderStates ?? 64;
    this.maxConflictRetries = options.maxConflictRetries ?? 50;
    this.minPipelinedRound = options.minPipelinedRound ?? 64;
    if (!(this.minPipelinedRound >= 1)) throw new RangeError(`Invalid minPipelinedRound: ${this.minPipelinedRound}`);
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
   * The stream's current state for readers, as the store holds it. A warm cache is caught up with
   * whatever other processes appended since. While a batch is in flight the cache runs ahead of
   * the store, so readers keep a fold of their own (the last `maxReaderStates` streams read
   * meanwhile) and catch it up the same way: a staff read during a sale costs the events
   * appended since the last read, not a fold of the whole stream. A cold stream is folded once
   * and kept (in the cache when no batch started meanwhile).
   *
   * The state returned is the kept one, which later batches or reads evolve in place (states are
   * linear, see dropDecider): read what you need from it before your next await.
   */
  async load(streamName: string): Promise<{ state: S; revision: number; remembered: RememberedEvents }> {
    const entry = this.streams.get(streamName);
    if (entry?.state !== undefined && !entry.draining) {
      const caughtUp = await this.catchUp(streamName, entry, () => entry.state !== undefined && !entry.draining);
      if (caughtUp) return caughtUp;
    }
    const kept = this.readerStates.get(streamName);
    if (kept) {
      const caughtUp = await this.catchUp(streamName, kept, () => this.readerStates.get(streamName) === kept);
      if (caughtUp) {
        this.readerStates.delete(streamName);
        this.readerStates.set(streamName, kept);
        return caughtUp;
      }
    }
    const loaded = await this.fold(streamName);
    this.keep(streamName, loaded);
    return { ...loaded, remembered: { ...loaded.remembered } };
  }

  /**
   * Reads what was appended after `kept.revision` and evolves `kept` with it, if `still()` holds
   * and `kept` did not move during the read (else undefined: the caller folds afresh). A gap in
   * the revisions is refused before anything is evolved, and `kept` is then given up.
   */
  private async catchUp(
    streamName: string,
    kept: { state: S | undefined; revision: number; remembered: RememberedEvents },
    still: () => boolean,
  ): Promise<{ state: S; revision: number; remembered: RememberedEvents } | undefined> {
    const from = kept.revision;
    const newer = await this.store.readStream(streamName, { direction: 'forwards', fromRevision: from + 1, maxCount: this.loadPageSize });
    // Re-check after the await: only apply onto the exact state the read started from.
    if (kept.state === undefined || !still() || kept.revision !== from || newer.length >= this.loadPageSize) return undefined;
    const gap = newer.findIndex((recorded, i) => recorded.revision !== from + 1 + i);
    if (gap >= 0) {
      // Checked before anything is evolved; the stream cannot be trusted, so nothing of it stays cached.
      kept.state = undefined;
      this.readerStates.delete(streamName);
      throw new StreamNotContiguousError(streamName, from + 1 + gap, newer[gap].revision);
    }
    let state: S = kept.state;
    try {
      for (const recorded of newer) {
        state = this.evolveStored(state, recorded);
        this.remember(kept.remembered, recorded);
      }
    } catch (error) {
      // States evolve in place: the events before the one that failed are in it already, its
      // revision is not moved on, so it cannot be caught up again. Nothing of it stays cached.
      kept.state = undefined;
      this.readerStates.delete(streamName);
      throw error;
    }
    kept.state = state;
    if (newer.length > 0) kept.revision = newer[newer.length - 1].revision;
    return { state, revision: kept.revision, remembered: { ...kept.remembered } };
  }

  /**
   * Keeps a reader's fold: in the cache unless a batch is in flight (the cache then runs ahead of
   * the store) or the cache already holds as much; else among the readers' own. Streams that do
   * not exist are not kept: a reader asking for made-up ids fills neither.
   */
  private keep(streamName: string, loaded: { state: S; revision: number; remembered: RememberedEvents }): void {
    if (loaded.revision < 0 || this.closed) return;
    const entry = this.entryFor(streamName);
    if (!entry.draining) {
      if (entry.state === undefined || entry.revision < loaded.revision) {
        entry.state = loaded.state;
        entry.revision = loaded.revision;
        entry.remembered = loaded.remembered;
      }
      this.readerStates.delete(streamName);
      return;
    }
    this.readerStates.delete(streamName);
    this.readerStates.set(streamName, loaded);
    for (const name of this.readerStates.keys()) {
      if (this.readerStates.size <= this.maxReaderStates) break;
      this.readerStates.delete(name);
    }
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
      // Checked again after run() returns: callers answered last may have queued in between.
      while (entry.queue.length > 0) await this.run(streamName, entry, entry.queue, this.minPipelinedRound);
    } finally {
      entry.draining = false;
    }
  }

  /**
   * Decides and stores the commands of `source`, taken from its front as they come, until it is
   * empty (the pipeline of the class comment). `source` is the stream's queue, or the half of a
   * refused part; `cut` is the smallest round a source is cut into when nothing is in flight
   * (Infinity: never cut).
   */
  private async run(streamName: string, entry: StreamEntry<S>, source: Pending<S, C, E, any>[], cut: number): Promise<void> {
    // Conflicts since the last part that was stored.
    let conflicts = 0;
    while (source.length > 0) {
      // Nothing in flight: this round is decided on what the store holds now.
      let ahead = await this.decide(streamName, entry, this.take(streamName, source, cut), true);
      let head = ahead.shift();
      let storing = head && this.write(streamName, entry, head);
      while (head && storing) {
        if (ahead.length === 0) {
          // While `head` is stored: let its append reach the socket and the callers answered just
          // before queue their next commands, then decide those on the state `head` leaves.
          await new Promise<void>((resolve) => setImmediate(resolve));
          if (source.length > 0 && entry.state !== undefined)
            ahead = await this.decide(streamName, entry, this.take(streamName, source, Infinity), false);
        }
        const stored = await storing;
        if (stored.ok) {
          conflicts = 0;
          const next = ahead.shift();
          // The next part goes to the store first: this part's callers only queue new commands.
          storing = next && this.write(streamName, entry, next);
          this.settle(head, stored.revision);
          head = next;
          continue;
        }

        // Not stored. The state was evolved past the store, and every part in `ahead` was decided on
        // top of it: none of it can be trusted any more, nobody of it has been answered.
        entry.state = undefined;
        const failed = head;
        const discarded = ahead.flatMap((part) => this.discard(part));
        this.discard(failed);
        head = undefined;
        ahead = [];
        const { error } = stored;
        if (error instanceof WrongExpectedRevisionError) this.observer?.conflict();
        if (error instanceof WrongExpectedRevisionError && ++conflicts < this.maxConflictRetries) {
          // Reloaded and decided again, in order, before anything queued after them.
          this.observer?.redecided(failed.commands.length + discarded.length);
          source.unshift(...failed.commands, ...discarded);
        } else if (isDataRefusal(error)) {
          // Nothing of this part was appended. Isolate the command(s) the store refuses: each half
          // is reloaded, re-decided and appended on its own (a part that fails has >= 1 command).
          const commands = failed.commands;
          if (commands.length === 1) {
            commands[0].reject(this.refusal(streamName, error));
          } else {
            const half = Math.ceil(commands.length / 2);
            await this.run(streamName, entry, commands.slice(0, half), Infinity);
            await this.run(streamName, entry, commands.slice(half), Infinity);
          }
          source.unshift(...discarded);
        } else {
          const failure = error instanceof WrongExpectedRevisionError ? new ConcurrencyExhaustedError(streamName, conflicts) : error;
          for (const p of [...failed.commands, ...discarded]) p.reject(failure);
        }
      }
    }
  }

  /**
   * Takes the next round from the front of `source`: everything waiting (at most maxBatchSize),
   * or its first half when at least 2 × `cut` wait, so that the rest can be decided while the
   * first half is appended.
   */
  private take(streamName: string, source: Pending<S, C, E, any>[], cut: number): Round {
    const size = Math.min(this.maxBatchSize, source.length >= 2 * cut ? Math.ceil(source.length / 2) : source.length);
    const commands = source.splice(0, size);
    let dequeued = 0;
    for (const p of commands) if (!p.taken) dequeued++;
    if (dequeued > 0) {
      this.observer?.batch(dequeued);
      for (const p of commands)
        if (!p.taken) {
          p.taken = true;
          p.span.addEvent('dequeued', { 'dropline.batch_size': commands.length });
        }
    }
    // The round's own trace, linked to every command in it (they belong to their requests' traces).
    const span = startBatchSpan('writer.batch', { 'dropline.stream': streamName, 'dropline.batch_size': commands.length }, () =>
      commands.map((p) => p.context.traceparent),
    );
    return { commands, span, open: 0 };
  }

  /**
   * Decides `round` into parts, `fresh`ly (after loading the stream or catching up with it,
   * which only happens with nothing in flight) or ahead on the cached state. A failure (a read,
   * a gap, an evolve that throws) rejects the whole round and drops the cache.
   */
  private async decide(streamName: string, entry: StreamEntry<S>, round: Round, fresh: boolean): Promise<Part<E>[]> {
    try {
      return await withSpan(round.span, async () => {
        if (fresh) await this.refresh(streamName, entry);
        return this.decideParts(streamName, entry, round, fresh);
      });
    } catch (error) {
      entry.state = undefined;
      for (const p of round.commands) p.reject(error);
      round.span.end();
      return [];
    }
  }

  /**
   * Stores one part: appends its events with the revision the store holds as the expected one.
   * A part without events is not appended: decided ahead, it is checked by a read instead (a
   * WrongExpectedRevisionError when another writer appended since). Never throws.
   */
  private write(streamName: string, entry: StreamEntry<S>, part: Part<E>): Promise<Stored> {
    return withSpan(part.round.span, async (): Promise<Stored> => {
      const expected = entry.revision;
      try {
        if (part.events.length === 0) {
          if (!part.fresh) {
            const newer = await this.store.readStream(streamName, { direction: 'forwards', fromRevision: expected + 1, maxCount: 1 });
            if (newer.length > 0) return { ok: false, error: new WrongExpectedRevisionError(streamName, expected, undefined) };
          }
          return { ok: true, revision: expected };
        }
        const started = this.observer ? performance.now() : 0;
        const revision = (await this.store.appendToStream(streamName, part.events, expected === -1 ? 'no_stream' : expected))
          .nextExpectedRevision;
        this.observer?.appended((performance.now() - started) / 1000, part.events);
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
        return { ok: true, revision };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  /** Answers every caller of a stored part. */
  private settle(part: Part<E>, revision: number): void {
    part.decided.forEach((d, i) =>
      d.ok ? part.commands[i].resolve({ events: d.events, answer: d.answer, revision }) : part.commands[i].reject(d.error),
    );
    if (--part.round.open === 0) part.round.span.end();
  }

  /** A part that will not be stored as decided: its commands, for whoever answers or re-decides them. */
  private discard(part: Part<E>): Pending<S, C, E, any>[] {
    if (--part.round.open === 0) part.round.span.end();
    return part.commands;
  }

  /** What a lone command the store refused for its data gets. */
  private refusal(streamName: string, error: unknown): Error {
    if (error instanceof AppendTooLargeError) return new CommandTooLargeError(streamName, error.size, error.maxAppendBytes, error);
    return new UnstorableCommandError(streamName, error);
  }

  /**
   * Brings the cached state up to what the store holds before a round is decided with nothing in
   * flight: loads the stream when nothing is cached, else reads what other processes appended
   * since. The expected revision only guards parts that append: a rejection ("window not open",
   * "sold out") or an idempotent no-op appends nothing, so without this read it could be answered
   * from a state another process has moved past. One indexed read (usually empty) is the price.
   */
  private async refresh(streamName: string, entry: StreamEntry<S>): Promise<void> {
    if (entry.state === undefined) {
      const loaded = await this.fold(streamName);
      entry.state = loaded.state;
      entry.revision = loaded.revision;
      entry.remembered = loaded.remembered;
      return;
    }
    let state: S = entry.state;
    for (;;) {
      const page = await this.store.readStream(streamName, {
        direction: 'forwards',
        fromRevision: entry.revision + 1,
        maxCount: this.loadPageSize,
      });
      for (const recorded of page) {
        assertNextRevision(streamName, entry.revision, recorded);
        state = this.evolveStored(state, recorded);
        this.remember(entry.remembered, recorded);
        entry.revision = recorded.revision;
      }
      entry.state = state;
      if (page.length < this.loadPageSize) return;
    }
  }

  /**
   * Decides the round's commands in order against the cached state and cuts them into parts of
   * at most maxAppendBytes: a command joins the current part unless its events would take the
   * part over the limit (a part always takes at least one command). Every command sits in a
   * part, the rejected ones too, so each is answered only once the state it was decided on is
   * stored. Only the first part can append nothing (a cut starts a part with events), and only
   * it counts as `fresh`.
   */
  private decideParts(streamName: string, entry: StreamEntry<S>, round: Round, fresh: boolean): Part<E>[] {
    const max = this.store.maxAppendBytes;
    const parts: Part<E>[] = [];
    let part: Part<E> = { commands: [], decided: [], events: [], bytes: 0, fresh, round };
    let state = entry.state as S;
    for (const p of round.commands as Pending<S, C, E, any>[]) {
      let events: E[];
      try {
        // decide is pure and leaves the state untouched, so a rejection only concerns its caller.
        events = this.decider.decide(p.command, state);
      } catch (error) {
        part.commands.push(p);
        part.decided.push({ ok: false, error });
        continue;
      }
      const stored = events.map((e) => toNewEvent(e, p.context, this.schema));
      const bytes = this.measure(stored);
      if (bytes > max) {
        part.commands.push(p);
        part.decided.push({ ok: false, error: new CommandTooLargeError(streamName, bytes, max) });
        continue;
      }
      if (stored.length > 0 && part.events.length > 0 && part.bytes + bytes > max) {
        parts.push(part);
        part = { commands: [], decided: [], events: [], bytes: 0, fresh: false, round };
      }
      // evolve may change the state in place: if it throws, decide() fails the whole round
      // and drops the cache rather than append events decided on a broken state.
      for (const e of events) state = this.decider.evolve(state, e);
      entry.state = state;
      part.commands.push(p);
      part.decided.push({ ok: true, events, answer: p.answer(state, events) });
      p.span.addEvent('decided', { 'dropline.events': events.length });
      part.events.push(...stored);
      part.bytes += bytes;
    }
    entry.state = state;
    if (part.decided.length > 0) parts.push(part);
    round.open = parts.length;
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

  private evolveStored(state: S, recorded: RecordedEvent): S {
    return evolveStored<S, E>(this.evolve, state, recorded, this.schema);
  }

  /** The decider's evolve, bound once (folds call it per event). */
  private readonly evolve = (state: S, event: E): S => this.decider.evolve(state, event);

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
        state = this.evolveStored(state, recorded);
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
