import type { EventFilter } from '@dropline/event-store';
import type { CheckpointStore } from './checkpoints';
import type { Lease } from './lease';
import type { ProcessorPage } from './log-pages';

export type { ProcessorPage } from './log-pages';

/** What a processor's handler gets with every page. */
export interface ProcessorContext {
  /** The lease's fencing token for this holding: pass it to every checkpoint save. */
  fence: number;
  checkpoints: CheckpointStore;
  /** Aborted when the supervisor stops or the lease is lost. */
  signal: AbortSignal;
  /** Whether the lease is still held right now (check it right before an irreversible side effect). */
  held(): boolean;
  /** Asks the page source to read again at once (work was requested). */
  nudge(): void;
  /** The next read starts at `position`: the processor's checkpoint moved under the page source (a rebuild's swap). */
  seek(position: string | undefined): void;
}

/**
 * The context of one page handled outside the supervisor (tests, tools): the lease as it stands,
 * nothing to abort, nudge or seek.
 */
export function standaloneContext(lease: Lease, checkpoints: CheckpointStore): ProcessorContext {
  return {
    fence: lease.fence ?? 0,
    checkpoints,
    signal: new AbortController().signal,
    held: () => lease.held,
    nudge: () => undefined,
    seek: () => undefined,
  };
}

/** A bad event the processor stands before (ON_BAD_EVENT=stop). */
export interface ProcessorStall {
  /** Position of the bad event. */
  position: string;
  reason: string;
}

/**
 * What handling a page did. Nothing (void) = the processor now stands at the page's position.
 * `position` says where it stands instead; `stalled` that it stopped before a bad event: the
 * runtime reads again from `position` after the processor's stallRetryMs.
 */
export type PageOutcome = void | { position: string | undefined; stalled?: ProcessorStall };

/**
 * A reader of the log run by the Supervisor under its lease: the supervisor takes the lease,
 * asks where to start (the stored checkpoint by default), hands it the log a page at a time and
 * restarts it with backoff when it throws. The handler stores its checkpoint itself, fenced: in
 * the transaction of its rows, or right after its side effect (the relay, after the broker's ack).
 */
export interface Processor {
  /** Checkpoint name, e.g. `projection:drops`, `relay:<topic>`, `consumer:fulfillment`. */
  readonly name: string;
  readonly filter?: EventFilter;
  readonly pageSize: number;
  /** Read the next page while one is handled (only when the store has a connection of its own). */
  readonly prefetch?: boolean;
  /** Idle poll interval (default: the supervisor's). */
  readonly idleMs?: number;
  /** How long to wait before reading a stalled position again (default 5 s). */
  readonly stallRetryMs?: number;
  /** Where to start after taking the lease; default: the stored checkpoint (an in-memory index returns undefined to replay). */
  start?(context: ProcessorContext): Promise<string | undefined>;
  handle(page: ProcessorPage, context: ProcessorContext): Promise<PageOutcome>;
  /** Called when a read found nothing new; returns true when it did work (the source reads again at once). */
  idle?(context: ProcessorContext): Promise<boolean>;
  /** Called when the processor stops reading (lease lost, failure, shutdown): drop in-memory state. */
  stopped?(): Promise<void> | void;
}

/** Supervised work that is not a reader of the log (a Kafka consumer group member, a reactor step loop). */
export interface SupervisedTask {
  readonly name: string;
  /**
   * Runs until `context.signal` aborts (resolve) or it fails (reject: the supervisor restarts it
   * with backoff). A leased task returns when `context.held()` turns false.
   */
  run(context: TaskContext): Promise<void>;
}

export interface TaskContext {
  /** The lease's fencing token (0 for a task without a lease). */
  fence: number;
  signal: AbortSignal;
  held(): boolean;
  /** Sleeps, cut short by stop and nudge; aborts the task's signal when the lease was lost meanwhile. */
  sleep(ms: number): Promise<void>;
  /** The task is up (a consumer joined its group): its failure count starts again from zero. */
  up(): void;
}
