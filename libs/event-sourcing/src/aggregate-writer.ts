import type { Decider, DomainEvent } from '@dropline/domain';
import { EventStore, isDataRefusal, WrongExpectedRevisionError } from '@dropline/event-store';
import { CommandContext, EventSchema, toDomainEvent, toNewEvent } from './envelope';

/** The result one caller gets: the events its command produced and the answer computed right after them. */
export interface CommandOutcome<E, R> {
  events: E[];
  answer: R;
  /** Stream revision after the batch that carried this command was appended. */
  revision: number;
}

export interface AggregateWriterOptions {
  /** Most commands decided together and appended in one write. */
  maxBatchSize?: number;
  /** Streams whose state stays cached between batches (least recently used are dropped). */
  maxCachedStreams?: number;
  /** Re-decide attempts after a conflict with another process before giving up. */
  maxConflictRetries?: number;
  /** Events read per page when (re)loading a stream. */
  loadPageSize?: number;
}

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

interface Pending<S, C, E, R> {
  command: C;
  context: CommandContext;
  answer: (state: S, events: E[]) => R;
  resolve: (outcome: CommandOutcome<E, R>) => void;
  reject: (error: unknown) => void;
}

interface StreamEntry<S> {
  /** Undefined until loaded, and again after a failed append made the cache untrustworthy. */
  state: S | undefined;
  revision: number;
  queue: Pending<S, any, any, any>[];
  draining: boolean;
}

type Decided<E, R> = { ok: true; events: E[]; answer: R } | { ok: false; error: unknown };

/**
 * The one load → decide → append path for every command.
 *
 * Commands for the same stream queue behind a single writer per stream (per process).
 * The writer takes everything waiting, decides the commands one after another against
 * the cached state, and appends all their events as ONE batch with ONE expected
 * revision. Each caller then gets its own answer or its own rejection. With one waiting
 * command this is the ordinary path; under a hot drop it turns thousands of would-be
 * optimistic conflicts into a handful of large appends.
 *
 * Across processes the expected revision still guards the stream: a batch that loses the
 * race is never partially applied — the writer reloads the stream and re-decides the
 * whole batch against the fresh state.
 *
 * Deciders may evolve their state in place (linear states), so a batch that fails to
 * append leaves the cached state ahead of the store; the cache is dropped then and the
 * stream is reloaded before the next decision.
 *
 * One command's data must not sink its batch: when the store refuses an append for what it
 * carries (isDataRefusal — not a revision conflict, not an outage), the writer reloads and
 * appends the batch again in two halves, first half first, recursively, until only the
 * commands that cannot be stored are left; each of those gets UnstorableCommandError and every
 * other caller its normal answer. At most ceil(log2(batch)) levels deep.
 */
export class AggregateWriter<S, C, E extends DomainEvent> {
  private readonly streams = new Map<string, StreamEntry<S>>();
  private readonly maxBatchSize: number;
  private readonly maxCachedStreams: number;
  private readonly maxConflictRetries: number;
  private readonly loadPageSize: number;
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
  }

  /** Decides `command` on `streamName` and appends its events; resolves once they are stored. */
  execute<R>(streamName: string, command: C, context: CommandContext, answer: (state: S, events: E[]) => R): Promise<CommandOutcome<E, R>> {
    if (this.closed) return Promise.reject(new Error('AggregateWriter is closed'));
    return new Promise((resolve, reject) => {
      const entry = this.entryFor(streamName);
      entry.queue.push({ command, context, answer, resolve, reject });
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
  async load(streamName: string): Promise<{ state: S; revision: number }> {
    const entry = this.streams.get(streamName);
    if (entry?.state !== undefined && !entry.draining) {
      const from = entry.revision;
      const newer = await this.store.readStream(streamName, { direction: 'forwards', fromRevision: from + 1, maxCount: this.loadPageSize });
      // Re-check after the await: only apply onto the exact state the read started from.
      if (entry.state !== undefined && !entry.draining && entry.revision === from && newer.length < this.loadPageSize) {
        let state: S = entry.state;
        for (const recorded of newer) state = this.decider.evolve(state, toDomainEvent<E>(recorded, this.schema));
        entry.state = state;
        if (newer.length > 0) entry.revision = newer[newer.length - 1].revision;
        return { state, revision: entry.revision };
      }
    }
    return this.fold(streamName);
  }

  /** The cached state of a stream, if any (may run ahead of the store while a batch is in flight). */
  cachedState(streamName: string): S | undefined {
    return this.streams.get(streamName)?.state;
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
    entry = { state: undefined, revision: -1, queue: [], draining: false };
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
        await this.processBatch(streamName, entry, batch);
      }
    } finally {
      entry.draining = false;
    }
  }

  private async processBatch(streamName: string, entry: StreamEntry<S>, batch: Pending<S, C, E, any>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let decided: Decided<E, unknown>[];
      try {
        if (entry.state === undefined) {
          const loaded = await this.fold(streamName);
          entry.state = loaded.state;
          entry.revision = loaded.revision;
        } else {
          await this.catchUp(streamName, entry);
        }
        decided = this.decideBatch(entry, batch);
      } catch (error) {
        entry.state = undefined;
        for (const p of batch) p.reject(error);
        return;
      }
      const events = decided.flatMap((d, i) => (d.ok ? d.events.map((e) => toNewEvent(e, batch[i].context, this.schema)) : []));
      const expected = entry.revision;
      let revision: number;
      try {
        revision =
          events.length === 0
            ? expected
            : (await this.store.appendToStream(streamName, events, expected === -1 ? 'no_stream' : expected)).nextExpectedRevision;
      } catch (error) {
        // The state was evolved past the store: it cannot be trusted any more.
        entry.state = undefined;
        if (error instanceof WrongExpectedRevisionError && attempt < this.maxConflictRetries) continue;
        if (isDataRefusal(error)) {
          // Nothing was appended. Isolate the command(s) the store refuses: each half is reloaded,
          // re-decided and appended on its own (a batch that fails with events has >= 1 command).
          if (batch.length === 1) {
            batch[0].reject(new UnstorableCommandError(streamName, error));
            return;
          }
          const half = Math.ceil(batch.length / 2);
          await this.processBatch(streamName, entry, batch.slice(0, half));
          await this.processBatch(streamName, entry, batch.slice(half));
          return;
        }
        const failure = error instanceof WrongExpectedRevisionError ? new ConcurrencyExhaustedError(streamName, attempt) : error;
        for (const p of batch) p.reject(failure);
        return;
      }
      entry.revision = revision;
      decided.forEach((d, i) => (d.ok ? batch[i].resolve({ events: d.events, answer: d.answer, revision }) : batch[i].reject(d.error)));
      return;
    }
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
        state = this.decider.evolve(state, toDomainEvent<E>(recorded, this.schema));
        entry.revision = recorded.revision;
      }
      entry.state = state;
      if (page.length < this.loadPageSize) return;
    }
  }

  private decideBatch(entry: StreamEntry<S>, batch: Pending<S, C, E, any>[]): Decided<E, unknown>[] {
    const out: Decided<E, unknown>[] = new Array(batch.length);
    let state = entry.state as S;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i];
      let events: E[];
      try {
        // decide is pure and leaves the state untouched, so a rejection only concerns its caller.
        events = this.decider.decide(p.command, state);
      } catch (error) {
        out[i] = { ok: false, error };
        continue;
      }
      // evolve may change the state in place: if it throws, processBatch fails the whole
      // batch and drops the cache rather than append events decided on a broken state.
      for (const e of events) state = this.decider.evolve(state, e);
      entry.state = state;
      out[i] = { ok: true, events, answer: p.answer(state, events) };
    }
    entry.state = state;
    return out;
  }

  private async fold(streamName: string): Promise<{ state: S; revision: number }> {
    let state = this.decider.initialState();
    let revision = -1;
    for (;;) {
      const page = await this.store.readStream(streamName, {
        direction: 'forwards',
        fromRevision: revision + 1,
        maxCount: this.loadPageSize,
      });
      for (const recorded of page) {
        state = this.decider.evolve(state, toDomainEvent<E>(recorded, this.schema));
        revision = recorded.revision;
      }
      if (page.length < this.loadPageSize) break;
    }
    return { state, revision };
  }
}
