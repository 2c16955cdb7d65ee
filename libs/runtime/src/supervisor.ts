import { measureLag, SharedLag, type EventStore, type ReaderLag } from '@dropline/event-store';
import { backoffDelay, silentLogger, Sleeper, type WorkerLogger } from './backoff';
import { CheckpointStore, FencedError } from './checkpoints';
import type { Lease } from './lease';
import { logPages, type LogPages } from './log-pages';
import type { Processor, ProcessorContext, ProcessorStall, SupervisedTask, TaskContext } from './processor';

export type ProcessorState = 'standby' | 'running' | 'caught-up' | 'retrying' | 'stalled' | 'stopped';

/** What the supervisor reports per processor (where lag is visible: readiness, admin and messaging routes). */
export interface ProcessorStatus {
  name: string;
  kind: 'processor' | 'task';
  state: ProcessorState;
  /** Times it was started again after a failure, since this process started. */
  restarts: number;
  /** Failures since its last good page (0 while it runs). */
  consecutiveFailures: number;
  lastError: string | undefined;
  lastErrorAt: string | undefined;
  /** Where it stands in the log (a task: undefined). */
  checkpoint: string | undefined;
  /** The fencing token it holds its lease with. */
  fence: number | undefined;
  /** The bad event it stands before (ON_BAD_EVENT=stop). */
  stalledAt: ProcessorStall | undefined;
}

export interface SupervisorOptions {
  /** The log its processors read; a supervisor of tasks only (a consumer service's Kafka group member) has none. */
  store?: EventStore;
  /** Where processors keep checkpoints; a supervisor of processors that keep none (an in-memory index) may leave it out. */
  checkpoints?: CheckpointStore;
  logger?: WorkerLogger;
  /** Restart backoff after a failure (full jitter). */
  backoff?: { initialMs: number; maxMs: number };
  /** How often a standby tries to take the lease. */
  leaseRetryMs?: number;
  /** How often a holder renews its lease between pages. */
  leaseRenewMs?: number;
  /** Idle poll interval of the page sources. */
  idleMs?: number;
  /** How long a processor's lag measured from one checkpoint is shared by every caller (default LAG_TTL_MS: SharedLag). */
  lagTtlMs?: number;
}

/** The checkpoint store of a supervisor given none: any use is a programming error. */
const NO_CHECKPOINTS = new CheckpointStore({
  query: () => Promise.reject(new Error('this supervisor keeps no checkpoints (give it a CheckpointStore)')),
});

interface Entry {
  kind: 'processor' | 'task';
  processor?: Processor;
  task?: SupervisedTask;
  lease: Lease | undefined;
  status: ProcessorStatus;
  loop?: Promise<void>;
  abort?: AbortController;
  pages?: LogPages;
  sleeper: Sleeper;
  /** Lag measurements shared by the readiness probe, metrics and the admin status. */
  lag: SharedLag;
  renewedAt: number;
  /** Set when the processor moved its own position (ProcessorContext.seek) while handling. */
  sought: boolean;
}

/**
 * Runs processors (readers of the log) and tasks under their leases: takes the lease, runs the
 * work, and when it fails restarts it after a jittered backoff (backoffDelay), counting restarts
 * and keeping the last error; when the lease is lost the work stops and resumes from the stored
 * checkpoint on the next takeover. Reports each one's state, restarts, last error, checkpoint,
 * and (measured on demand) its lag.
 */
export class Supervisor {
  /** The started supervisors over each store (this process), for scrape-time metrics (`Supervisor.over`). */
  private static readonly running = new WeakMap<EventStore, Set<Supervisor>>();

  /** Every started supervisor over `store` in this process (a metrics collector reads their status at scrape time). */
  static over(store: EventStore): Supervisor[] {
    return [...(Supervisor.running.get(store) ?? [])];
  }

  private readonly entries = new Map<string, Entry>();
  private readonly logger: WorkerLogger;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly leaseRetryMs: number;
  private readonly leaseRenewMs: number;
  private readonly idleMs: number;
  private stopping = false;
  private started = false;

  constructor(private readonly options: SupervisorOptions) {
    this.logger = options.logger ?? silentLogger;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    this.leaseRetryMs = options.leaseRetryMs ?? 1_000;
    this.leaseRenewMs = options.leaseRenewMs ?? 1_000;
    this.idleMs = options.idleMs ?? 100;
  }

  get checkpoints(): CheckpointStore {
    return this.options.checkpoints ?? NO_CHECKPOINTS;
  }

  /** Adds a reader of the log; it starts with start() (or at once when already started). */
  add(processor: Processor, lease: Lease | undefined): this {
    return this.register({ kind: 'processor', processor, lease });
  }

  /** Adds supervised work that does not read the log. */
  addTask(task: SupervisedTask, lease?: Lease): this {
    return this.register({ kind: 'task', task, lease });
  }

  private register(entry: Pick<Entry, 'kind' | 'processor' | 'task' | 'lease'>): this {
    const name = entry.processor?.name ?? entry.task!.name;
    if (this.entries.has(name)) throw new Error(`supervisor: ${name} is already supervised`);
    const full: Entry = {
      ...entry,
      sleeper: new Sleeper(),
      lag: new SharedLag(this.options.lagTtlMs),
      renewedAt: 0,
      sought: false,
      status: {
        name,
        kind: entry.kind,
        state: 'stopped',
        restarts: 0,
        consecutiveFailures: 0,
        lastError: undefined,
        lastErrorAt: undefined,
        checkpoint: undefined,
        fence: undefined,
        stalledAt: undefined,
      },
    };
    this.entries.set(name, full);
    if (this.started && !this.stopping) full.loop = this.supervise(full);
    return this;
  }

  private storeFor(processor: Processor): EventStore {
    if (!this.options.store) throw new Error(`supervisor has no event store for processor ${processor.name}`);
    return this.options.store;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    const store = this.options.store;
    if (store) {
      let running = Supervisor.running.get(store);
      if (!running) Supervisor.running.set(store, (running = new Set()));
      running.add(this);
    }
    for (const entry of this.entries.values()) entry.loop = this.supervise(entry);
  }

  /** Stops every processor and task, waits for them, releases their leases. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.options.store) Supervisor.running.get(this.options.store)?.delete(this);
    for (const entry of this.entries.values()) {
      entry.abort?.abort();
      entry.sleeper.wake();
    }
    await Promise.all([...this.entries.values()].map((e) => e.loop));
    for (const entry of this.entries.values()) {
      await entry.lease?.release().catch(() => undefined);
      entry.status.state = 'stopped';
      entry.loop = undefined;
    }
    this.started = false;
  }

  /** Wakes an idle processor (or all of them): something was appended or requested. */
  nudge(name?: string): void {
    for (const entry of this.entries.values()) {
      if (name !== undefined && entry.status.name !== name) continue;
      entry.pages?.nudge();
      if (entry.status.state !== 'retrying') entry.sleeper.wake();
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Last known status of each (cheap: no reads). */
  status(): ProcessorStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }

  statusOf(name: string): ProcessorStatus | undefined {
    const entry = this.entries.get(name);
    return entry ? { ...entry.status } : undefined;
  }

  /** Whether this instance holds the processor's lease (a processor without a lease: while it runs). */
  holds(name: string): boolean {
    const entry = this.entries.get(name);
    if (!entry) return false;
    return entry.lease ? entry.lease.held : entry.status.state !== 'stopped';
  }

  /**
   * A processor's lag (measureLag from where it stands), undefined when it does not run here
   * (another instance holds its lease, or it is stopped): a standby's figure says nothing.
   */
  async lag(name: string): Promise<ReaderLag | undefined> {
    const entry = this.entries.get(name);
    if (!entry?.processor || !this.holds(name) || entry.status.state === 'stopped') return undefined;
    const { processor } = entry;
    return entry.lag.of(entry.status.checkpoint, () => measureLag(this.storeFor(processor), entry.status.checkpoint, processor.filter));
  }

  private async supervise(entry: Entry): Promise<void> {
    const { name } = entry.status;
    while (!this.stopping) {
      if (entry.lease && !(await entry.lease.tryAcquire().catch(() => false))) {
        if (entry.status.state !== 'standby') this.logger.log(`${name}: another instance holds the lease; standing by`);
        entry.status.state = 'standby';
        entry.status.fence = undefined;
        await entry.sleeper.sleep(this.leaseRetryMs);
        continue;
      }
      if (this.stopping) break;
      entry.renewedAt = Date.now();
      entry.status.fence = entry.lease ? (entry.lease.fence ?? 0) : 0;
      const abort = new AbortController();
      entry.abort = abort;
      try {
        if (entry.processor) await this.runProcessor(entry, entry.processor, abort.signal);
        else await this.runTask(entry, entry.task!, abort.signal);
        if (!this.stopping && entry.lease && !entry.lease.held) {
          this.logger.warn(`${name}: lease lost; stopped until it is taken again`);
          entry.status.state = 'standby';
        }
      } catch (e) {
        if (this.stopping) break;
        entry.status.consecutiveFailures++;
        entry.status.restarts++;
        entry.status.lastError = e instanceof Error ? e.message : String(e);
        entry.status.lastErrorAt = new Date().toISOString();
        entry.status.state = 'retrying';
        // A newer holder wrote the checkpoint: this holding is over whatever the lease says.
        if (e instanceof FencedError || (e as { cause?: unknown })?.cause instanceof FencedError)
          await entry.lease?.release().catch(() => undefined);
        const delay = backoffDelay(entry.status.consecutiveFailures, this.backoff.initialMs, this.backoff.maxMs);
        this.logger.warn(
          `${name} failed (attempt ${entry.status.consecutiveFailures}, restart ${entry.status.restarts}), restarting in ${delay} ms: ${entry.status.lastError}`,
        );
        await entry.sleeper.sleep(delay);
      } finally {
        abort.abort();
        entry.abort = undefined;
        entry.pages = undefined;
        try {
          await entry.processor?.stopped?.();
        } catch (e) {
          this.logger.warn(`${name}: stopping failed: ${String(e)}`);
        }
      }
    }
  }

  /** Renews the lease now and then between pages; false once it is lost. */
  private async stillHeld(entry: Entry): Promise<boolean> {
    if (!entry.lease) return true;
    if (Date.now() - entry.renewedAt >= this.leaseRenewMs) {
      entry.renewedAt = Date.now();
      if (!(await entry.lease.tryAcquire().catch(() => false))) return false;
      // A takeover in between (an expiring lease) is a new holding: restart from the checkpoint.
      if ((entry.lease.fence ?? 0) !== entry.status.fence) return false;
    }
    return entry.lease.held;
  }

  private context(entry: Entry, signal: AbortSignal): ProcessorContext {
    return {
      fence: entry.status.fence ?? 0,
      checkpoints: this.checkpoints,
      signal,
      held: () => !signal.aborted && (entry.lease ? entry.lease.held && entry.lease.fence === entry.status.fence : true),
      nudge: () => entry.pages?.nudge(),
      seek: (position) => {
        entry.pages?.seek(position);
        entry.status.checkpoint = position;
        entry.sought = true;
      },
    };
  }

  private async runProcessor(entry: Entry, processor: Processor, signal: AbortSignal): Promise<void> {
    const context = this.context(entry, signal);
    // Outside any transaction of the processor's (see CheckpointStore.ensureSchema).
    if (this.options.checkpoints) await this.options.checkpoints.ensureSchema();
    const from = processor.start ? await processor.start(context) : (await this.checkpoints.load(processor.name))?.position;
    entry.status.checkpoint = from;
    entry.status.state = 'running';
    const pages = logPages(this.storeFor(processor), {
      from,
      filter: processor.filter,
      pageSize: processor.pageSize,
      idleMs: processor.idleMs ?? this.idleMs,
      signal,
      prefetch: processor.prefetch,
    });
    entry.pages = pages;
    for await (const page of pages) {
      if (this.stopping || signal.aborted) return;
      if (!(await this.stillHeld(entry))) return;
      if (page.events.length === 0 && page.position === entry.status.checkpoint) {
        if (!entry.status.stalledAt) entry.status.state = 'caught-up';
        entry.sought = false;
        if (processor.idle && (await processor.idle(context))) pages.nudge();
        continue;
      }
      entry.sought = false;
      const outcome = await processor.handle(page, context);
      entry.status.consecutiveFailures = 0;
      if (outcome?.stalled) {
        entry.status.checkpoint = outcome.position;
        entry.status.stalledAt = outcome.stalled;
        entry.status.state = 'stalled';
        // Looked at again from the store itself: a fix made there by hand is not hidden by a copy in memory.
        pages.seek(outcome.position, processor.stallRetryMs ?? 5_000, true);
        continue;
      }
      entry.status.stalledAt = undefined;
      if (entry.sought) continue;
      if (outcome && outcome.position !== page.position) pages.seek(outcome.position);
      entry.status.checkpoint = outcome ? outcome.position : page.position;
      entry.status.state = page.isEnd ? 'caught-up' : 'running';
    }
  }

  private async runTask(entry: Entry, task: SupervisedTask, signal: AbortSignal): Promise<void> {
    entry.status.state = 'running';
    const context: TaskContext = {
      fence: entry.status.fence ?? 0,
      signal,
      held: () => !signal.aborted && (entry.lease ? entry.lease.held && entry.lease.fence === entry.status.fence : true),
      sleep: async (ms) => {
        if (signal.aborted) return;
        await entry.sleeper.sleep(ms);
        if (entry.lease && !(await this.stillHeld(entry))) entry.abort?.abort();
      },
      up: () => {
        entry.status.consecutiveFailures = 0;
      },
    };
    await task.run(context);
    entry.status.consecutiveFailures = 0;
  }
}
