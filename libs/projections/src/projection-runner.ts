import { BAD_EVENTS_KEPT, BadEvent, BadEventPolicy, describeBadEvent, screenBadEvents } from '@dropline/domain';
import {
  DDL_LOCK_TIMEOUT_MS,
  isLockNotAvailable,
  lockHolders,
  startBatchSpan,
  measureLag,
  SharedLag,
  withSpan,
  type EventStore,
  type ReadAllResult,
  type ReaderLag,
  type RecordedEvent,
} from '@dropline/event-store';
import {
  backoffDelay,
  CheckpointStore,
  type PageOutcome,
  type Processor,
  type ProcessorContext,
  type ProcessorPage,
} from '@dropline/runtime';
import type { Pool, PoolClient } from 'pg';
import { liveTables, PageContext, Projection, shadowTables } from './projection';

/** Most events a projection page's span links to (a page holds up to 5,000; a rebuild's 50,000). */
export const PAGE_SPAN_LINKS = 128;
/**
 * How often an idle lease holder looks for a rebuild request of another process (a request made
 * through this process's ProjectorService is looked at on its nudge): every idle step did, which
 * was most of an idle embedded engine's queries.
 */
export const REBUILD_CHECK_MS = 1_000;

/** Where a projection's copy stands in the global log. */
export interface Checkpoint {
  position: string | undefined;
  eventsProcessed: number;
  /** recordedAt of the last event applied. */
  lastEventAt: string | undefined;
}

/** How far a read model is behind the log. */
export interface ProjectionLag {
  projection: string;
  checkpoint: string | null;
  eventsProcessed: number;
  /** Seconds behind on the store's clock: the log head's recorded time minus that of the first event not applied yet (0 when caught up; see measureLag). */
  lagSeconds: number;
  /** Events after the checkpoint while any is left to apply (all types, not only the projection's), 0 when caught up; null where the store cannot count. */
  lagEvents: number | null;
  rebuild: RebuildProgress | null;
  /** The bad event the live copy is stalled at (ON_BAD_EVENT=stop), null when it is not stalled. */
  stalledAt: BadEvent | null;
  /** Bad events skipped since this runner started (ON_BAD_EVENT=skip), the most recent last. */
  badEventsSkipped: number;
  badEvents: BadEvent[];
  /** The running rebuild's swap giving way to a transaction that holds a live table (this runner), null when it is not. */
  rebuildSwapWaiting: RebuildSwapWaiting | null;
}

/** A rebuild caught up and ready to swap, whose swap keeps giving way (swapUnlessHeld). */
export interface RebuildSwapWaiting {
  /** When its first try gave way. */
  since: string;
  attempts: number;
  /** Who held a live table at the last try (lockHolders), '' when that could not be told. */
  heldBy: string;
}

/** A rebuild's progress as stored in rm_projection_rebuilds. */
export interface RebuildProgress {
  status: 'requested' | 'running' | 'done' | 'failed';
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  eventsDone: number;
  eventsTotal: number | null;
  eventsPerSecond: number | null;
  etaSeconds: number | null;
  error: string | null;
}

export interface ProjectionRunnerOptions {
  store: EventStore;
  /** The read-model database (in embedded mode the one shared single-connection pool). */
  pool: Pool;
  projection: Projection;
  /** Events per transaction (1 = the per-event baseline of the benchmark). */
  pageSize?: number;
  /** Events per transaction while rebuilding the shadow copy (default: the larger of pageSize and 50,000). */
  rebuildPageSize?: number;
  /**
   * Read the next page while the current one is written. Only when the store does not share
   * the read models' connection: never with the embedded PGlite, whose one connection would
   * serialise (or, inside the page's transaction, deadlock) the two.
   */
  concurrentReads?: boolean;
  /** ON_BAD_EVENT: stall at an unknown or corrupted event (default) or report and skip it. */
  onBadEvent?: BadEventPolicy;
  /** While stalled, how often the log is read again to see whether the event was dealt with (default 5 s). */
  stallRetryMs?: number;
  /** How often an idle holder looks for another process's rebuild request (default REBUILD_CHECK_MS). */
  rebuildCheckMs?: number;
  logger?: { warn(message: string): void };
}

/** An index of a live table, as the shadow copy recreates it. */
interface IndexInfo {
  name: string;
  /** pg_get_indexdef */
  definition: string;
  /** Set when the index backs a constraint (primary key, unique): the shadow gets the constraint at once. */
  constraintDefinition: string | null;
}

type Target = 'live' | 'shadow';

/**
 * Runs one projection: a processor on the runtime (`processor()`, checkpoint `projection:<name>`
 * in dropline_checkpoints) that applies each page of the log and the new checkpoint in one
 * transaction. The supervisor runs it under the projection's lease; the checkpoint row is locked
 * and fenced in the page's transaction, the second line of defence. A rebuild fills shadow
 * tables from the start of the log (checkpoint `projection:<name>#rebuild`) between live pages
 * and swaps them in; processPage/catchUp/step drive the same code outside the supervisor
 * (tests, benchmarks).
 */
export class ProjectionRunner {
  readonly projection: Projection;
  private readonly store: EventStore;
  private readonly pool: Pool;
  private readonly pageSize: number;
  private readonly rebuildPageSize: number;
  private readonly concurrentReads: boolean;
  /** The read of the next page, started while the current one was being written. */
  private readonly sharedLag = new SharedLag();
  private readonly prefetched = new Map<Target, { from: string | undefined; pageSize: number; page: Promise<ReadAllResult> }>();
  private rebuildStartedMs: number | undefined;
  /** The swap's give-ways in a row to a transaction holding a live table, and when it may try again. */
  private swapGaveWay: { times: number; retryAtMs: number; since?: string; heldBy?: string } = { times: 0, retryAtMs: 0 };
  /** When an idle step last looked for a rebuild request (Date.now()); 0 = look at the next one. */
  private rebuildCheckedMs = 0;
  private rebuildTotal: number | null = null;
  private readonly onBadEvent: BadEventPolicy;
  private readonly stallRetryMs: number;
  private readonly rebuildCheckMs: number;
  private readonly logger: { warn(message: string): void };
  /** Per copy: the bad event it stands at (stop policy) and when the log was last read for it. */
  private readonly stalled = new Map<Target, { bad: BadEvent; checkedMs: number }>();
  private readonly skipped: BadEvent[] = [];
  private skippedCount = 0;
  private readonly checkpoints: CheckpointStore;
  /** The lease fence of the supervised holding; undefined outside the supervisor (unfenced: tests, tools). */
  private fence: number | undefined;

  constructor(options: ProjectionRunnerOptions) {
    this.projection = options.projection;
    this.store = options.store;
    this.pool = options.pool;
    this.pageSize = options.pageSize ?? 5000;
    this.rebuildPageSize = options.rebuildPageSize ?? Math.max(this.pageSize, 50_000);
    this.concurrentReads = options.concurrentReads ?? false;
    this.onBadEvent = options.onBadEvent ?? 'stop';
    this.stallRetryMs = options.stallRetryMs ?? 5_000;
    this.rebuildCheckMs = options.rebuildCheckMs ?? REBUILD_CHECK_MS;
    // eslint-disable-next-line no-console -- the default sink outside Nest; Nest apps pass their Logger
    this.logger = options.logger ?? { warn: (message) => console.warn(message) };
    this.checkpoints = new CheckpointStore(this.pool);
  }

  /**
   * Creates the checkpoint table and, once, takes over the positions the projection stored before
   * dropline_checkpoints (rm_projection_checkpoints, rm_projection_shadow_checkpoints), so an
   * upgrade resumes instead of folding the log again.
   */
  async migrate(): Promise<void> {
    for (const target of ['live', 'shadow'] as const) {
      const table = target === 'live' ? 'rm_projection_checkpoints' : 'rm_projection_shadow_checkpoints';
      await this.checkpoints.adoptLegacy(this.checkpointName(target), {
        table,
        select: `select position, events_processed, last_event_at from ${table} where projection = $1`,
        params: [target === 'live' ? this.projection.name : `${this.projection.name}#rebuild`],
      });
    }
  }

  /** The projection as a processor of the runtime: live pages, and a rebuild's steps between them and when idle. */
  processor(): Processor {
    return {
      name: this.checkpointName('live'),
      filter: this.filter(),
      pageSize: this.pageSize,
      prefetch: this.concurrentReads,
      stallRetryMs: this.stallRetryMs,
      start: async (context) => {
        this.fence = context.fence;
        this.prefetched.clear();
        // A rebuild this holder did not start is started again (its shadow may be half built by another).
        this.rebuildStartedMs = undefined;
        return (await this.checkpoint('live')).position;
      },
      handle: (page, context) => this.handleLivePage(page, context),
      idle: async (context) => {
        // Idle and not rebuilding: look for a request at most every rebuildCheckMs.
        if (this.rebuildStartedMs === undefined && Date.now() - this.rebuildCheckedMs < this.rebuildCheckMs) return false;
        this.rebuildCheckedMs = Date.now();
        return this.rebuildStep(context);
      },
      stopped: () => {
        this.fence = undefined;
      },
    };
  }

  private filter(): { streamPrefixes: string[]; eventTypes: string[] } {
    return { streamPrefixes: [...this.projection.streamPrefixes], eventTypes: [...this.projection.eventTypes] };
  }

  /** One live page as the runtime's page source read it; a rebuild step follows, so a busy log does not starve it. */
  private async handleLivePage(page: ProcessorPage, context: ProcessorContext): Promise<PageOutcome> {
    if (page.events.length === 0) {
      this.stalled.delete('live');
      if (page.position !== undefined) await this.applyEvents([], 'live', page.position);
    } else {
      const { events, stoppedAt } = this.screen(page.events, 'live');
      await this.applyEvents(events, 'live', stoppedAt ? undefined : page.position);
      if (stoppedAt) {
        const position = (await this.checkpoint('live')).position;
        return { position, stalled: { position: stoppedAt.position, reason: describeBadEvent(stoppedAt) } };
      }
    }
    await this.rebuildStep(context);
    return undefined;
  }
  /** The bad event the live copy is stalled at, if any. */
  get stalledAt(): BadEvent | undefined {
    return this.stalled.get('live')?.bad;
  }

  /** Bad events skipped so far (the most recent BAD_EVENTS_KEPT) and their total. */
  get badEvents(): { skipped: number; recent: readonly BadEvent[] } {
    return { skipped: this.skippedCount, recent: this.skipped };
  }

  /** `projection:<name>` for the live copy, `projection:<name>#rebuild` for the shadow copy. */
  checkpointName(target: Target): string {
    return target === 'live' ? `projection:${this.projection.name}` : `projection:${this.projection.name}#rebuild`;
  }

  async checkpoint(target: Target = 'live'): Promise<Checkpoint> {
    const stored = await this.checkpoints.load(this.checkpointName(target));
    return { position: stored?.position, eventsProcessed: stored?.eventsProcessed ?? 0, lastEventAt: stored?.lastEventAt };
  }

  /** Applies the next page to the live (or shadow) copy. */
  async processPage(
    target: Target = 'live',
    pageSize = target === 'live' ? this.pageSize : this.rebuildPageSize,
  ): Promise<{ applied: number; isEnd: boolean }> {
    // Stalled at a bad event: look again only now and then, not at every idle step.
    const stall = this.stalled.get(target);
    if (stall && Date.now() - stall.checkedMs < this.stallRetryMs) return { applied: 0, isEnd: true };
    const from = await this.checkpoint(target);
    // Read before opening the transaction: in embedded mode the store and the read models share
    // one connection, so a read inside the transaction would wait for itself.
    // A stalled copy looks again at the store itself (a fix made there by hand is not in any copy in memory).
    const page = stall ? await this.read(from.position, pageSize, true) : await this.takePage(target, from.position, pageSize);
    if (page.events.length === 0) {
      this.stalled.delete(target);
      // Nothing matched, but the store may have scanned past other streams' events: the checkpoint
      // moves past them, so they are not read again (and the lag counts from there). The position
      // moves only when the log grew, so an idle projection writes nothing.
      if (page.position !== undefined && page.position !== from.position) await this.applyEvents([], target, page.position);
      return { applied: 0, isEnd: page.isEnd };
    }
    const { events, stoppedAt } = this.screen(page.events, target);
    // A full page means more follows: with a store of its own, fetch it while this one is written.
    if (this.concurrentReads && !page.isEnd && !stoppedAt) this.prefetch(target, page.position, pageSize);
    try {
      // Skipped bad events and filtered-out events still move the checkpoint (to where the page's
      // scan ended); a stop commits only what lies before the bad event.
      const applied = await this.applyEvents(events, target, stoppedAt ? undefined : (page.position ?? page.events.at(-1)!.position));
      return { applied, isEnd: page.isEnd || stoppedAt !== undefined };
    } catch (e) {
      this.prefetched.delete(target);
      throw e;
    }
  }

  /**
   * Checks every event of a page before it is applied (the server-side type filter already kept
   * unknown types out; a newer schema version or an undecodable payload still gets here). With
   * `stop` the page ends before the first bad event and the copy stalls there; with `skip` bad
   * events are reported and left out.
   */
  private screen(page: readonly RecordedEvent[], target: Target): { events: RecordedEvent[]; stoppedAt: BadEvent | undefined } {
    const { events, stoppedAt, skipped } = screenBadEvents(page, this.onBadEvent);
    for (const bad of skipped) {
      this.logger.warn(`projection ${this.checkpointName(target)} skipped (ON_BAD_EVENT=skip) ${describeBadEvent(bad)}`);
      this.skippedCount++;
      this.skipped.push(bad);
      if (this.skipped.length > BAD_EVENTS_KEPT) this.skipped.shift();
    }
    if (!stoppedAt) {
      this.stalled.delete(target);
      return { events, stoppedAt };
    }
    if (this.stalled.get(target)?.bad.position !== stoppedAt.position)
      this.logger.warn(`projection ${this.checkpointName(target)} stalled (ON_BAD_EVENT=stop) at ${describeBadEvent(stoppedAt)}`);
    this.stalled.set(target, { bad: stoppedAt, checkedMs: Date.now() });
    return { events, stoppedAt };
  }

  /** The prefetched page when it starts where the checkpoint now is, else a fresh read. */
  private async takePage(target: Target, from: string | undefined, pageSize: number): Promise<ReadAllResult> {
    const ahead = this.prefetched.get(target);
    this.prefetched.delete(target);
    if (ahead && ahead.from === from && ahead.pageSize === pageSize) return ahead.page;
    return this.read(from, pageSize);
  }

  private prefetch(target: Target, from: string | undefined, pageSize: number): void {
    const page = this.read(from, pageSize);
    // A failed prefetch surfaces when (if) the page is taken; never as an unhandled rejection.
    page.catch(() => undefined);
    this.prefetched.set(target, { from, pageSize, page });
  }

  private read(from: string | undefined, pageSize: number, fresh = false): Promise<ReadAllResult> {
    return this.store.readAll({ fromPosition: from, maxCount: pageSize, filter: this.filter(), ...(fresh ? { fresh } : {}) });
  }

  /**
   * Applies events (in log order) with the checkpoint in one transaction. Events at or before
   * the checkpoint are skipped, so a page delivered twice changes nothing. Public so tests can
   * deliver duplicates on purpose. `through` moves the checkpoint at least to that position
   * (past skipped bad events at the end of a page).
   */
  async applyEvents(events: readonly RecordedEvent[], target: Target = 'live', through?: string): Promise<number> {
    if (events.length === 0) return this.applyPage(events, target, through);
    // One span per page, linked to the events it applies (the first PAGE_SPAN_LINKS of them).
    const span = startBatchSpan(
      'projection.page',
      { 'dropline.projection': this.checkpointName(target), 'dropline.events': events.length },
      () => events.map((e) => e.metadata.traceparent),
      PAGE_SPAN_LINKS,
    );
    try {
      return await withSpan(span, () => this.applyPage(events, target, through));
    } finally {
      span.end();
    }
  }

  private async applyPage(events: readonly RecordedEvent[], target: Target, through: string | undefined): Promise<number> {
    const name = this.checkpointName(target);
    // Pages come from the store in log order; sort only a page that does not (tests deliver
    // shuffled and duplicated events on purpose).
    let ordered: readonly RecordedEvent[] = events;
    for (let i = 1; i < events.length; i++) {
      if (this.store.comparePositions(events[i - 1].position, events[i].position) > 0) {
        ordered = [...events].sort((a, b) => this.store.comparePositions(a.position, b.position));
        break;
      }
    }
    return this.transaction(async (client) => {
      // Creates the checkpoint row if needed and locks it, in one round trip (the lock and the
      // fence are the second line of defence behind the lease: an older holder's page rolls back).
      const current = await this.checkpoints.lock(name, this.fence ?? Number.MAX_SAFE_INTEGER, client);
      const fence = this.fence ?? current.fence;
      const fresh: RecordedEvent[] = [];
      let last = current.position;
      // Anything at or before the checkpoint was applied already.
      for (const e of ordered) {
        if (last !== undefined && this.store.comparePositions(e.position, last) <= 0) continue;
        fresh.push(e);
        last = e.position;
      }
      if (through !== undefined && (last === undefined || this.store.comparePositions(through, last) > 0)) {
        last = through;
      }
      if (fresh.length === 0) {
        if (last !== current.position || fence !== current.fence) await this.checkpoints.save({ name, position: last, fence }, client);
        return 0;
      }
      const context: PageContext = { client, table: target === 'live' ? liveTables : shadowTables };
      await this.projection.applyPage(fresh, context);
      await this.checkpoints.save(
        { name, position: last, processed: fresh.length, lastEventAt: fresh[fresh.length - 1].recordedAt, fence },
        client,
      );
      return fresh.length;
    });
  }

  /**
   * Processes pages until the end of the log; returns the number of events applied. A page that
   * applied nothing but is not the end passed events of other streams: reading goes on.
   */
  async catchUp(target: Target = 'live'): Promise<number> {
    let total = 0;
    for (;;) {
      const { applied, isEnd } = await this.processPage(target);
      total += applied;
      if (isEnd) return total;
    }
  }

  async lag(): Promise<ProjectionLag> {
    const cp = await this.checkpoint('live');
    const { lagSeconds, lagEvents } = await this.lagAt(cp.position);
    return {
      projection: this.projection.name,
      checkpoint: cp.position ?? null,
      eventsProcessed: cp.eventsProcessed,
      lagSeconds,
      lagEvents,
      rebuild: await this.rebuildProgress(),
      stalledAt: this.stalledAt ?? null,
      badEventsSkipped: this.skippedCount,
      badEvents: [...this.skipped],
      rebuildSwapWaiting:
        this.swapGaveWay.times > 0 && this.rebuilding
          ? { since: this.swapGaveWay.since!, attempts: this.swapGaveWay.times, heldBy: this.swapGaveWay.heldBy ?? '' }
          : null,
    };
  }

  /** Seconds and events behind of the live copy, and nothing else (what readiness asks for). */
  async readerLag(): Promise<ReaderLag> {
    return this.lagAt((await this.checkpoint('live')).position);
  }

  private lagAt(position: string | undefined): Promise<ReaderLag> {
    // Read-model answers and the admin view ask for it per request: shared (SharedLag).
    return this.sharedLag.of(position, () => measureLag(this.store, position, this.filter()));
  }

  // ---- Rebuild without downtime ----

  /** Asks the lease holder to rebuild (CLI and admin route); it starts on the holder's next step. */
  static async requestRebuild(pool: Pool, projection: string): Promise<void> {
    await pool.query(
      `insert into rm_projection_rebuilds (projection, status, requested_at) values ($1, 'requested', now())
       on conflict (projection) do update set status = 'requested', requested_at = now(), started_at = null, finished_at = null,
         events_done = 0, events_total = null, events_per_second = null, eta_seconds = null, error = null
       where rm_projection_rebuilds.status not in ('requested', 'running')`,
      [projection],
    );
  }

  /** A rebuild was requested through this process: the next idle step looks for it. */
  rebuildRequested(): void {
    this.rebuildCheckedMs = 0;
  }

  async rebuildProgress(): Promise<RebuildProgress | null> {
    return readRebuildProgress(this.pool, this.projection.name);
  }

  /**
   * One unit of work for the lease holder: a live page, and while a rebuild is running, a page
   * of the shadow copy; swaps the copies once the shadow has reached the live checkpoint.
   * Returns whether anything was done (the caller sleeps when nothing was).
   */
  async step(): Promise<boolean> {
    const live = await this.processPage('live');
    // Not at the end: more of the log follows (even when this page applied nothing), so no sleep.
    const worked = live.applied > 0 || !live.isEnd;
    return (await this.rebuildStep()) || worked;
  }

  /**
   * A rebuild's unit of work, between live pages: starts a requested rebuild, applies a page of
   * the shadow copy, swaps the copies once the shadow reached the live checkpoint (the runtime's
   * page source then continues from the new live checkpoint). Returns whether it did anything.
   */
  private async rebuildStep(context?: ProcessorContext): Promise<boolean> {
    let worked = false;
    const progress = await this.rebuildProgress();
    if (progress?.status === 'requested') {
      await this.startRebuild();
      worked = true;
    } else if (progress?.status === 'running') {
      if (this.rebuildStartedMs === undefined) {
        // A holder that crashed mid-rebuild left a half-built shadow: start it again.
        await this.startRebuild();
        return true;
      }
      try {
        const shadow = await this.processPage('shadow');
        worked = worked || shadow.applied > 0 || !shadow.isEnd;
        await this.reportProgress();
        const [s, l] = [await this.checkpoint('shadow'), await this.checkpoint('live')];
        const caughtUp =
          l.position === undefined ||
          (s.position !== undefined && this.store.comparePositions(s.position, l.position) >= 0) ||
          (shadow.isEnd && shadow.applied === 0 && !this.stalled.has('shadow'));
        if (caughtUp && Date.now() >= this.swapGaveWay.retryAtMs && (await this.swapUnlessHeld())) {
          context?.seek((await this.checkpoint('live')).position);
        }
      } catch (e) {
        this.rebuildStartedMs = undefined;
        await this.pool.query(
          `update rm_projection_rebuilds set status = 'failed', error = $2, finished_at = now() where projection = $1`,
          [this.projection.name, String(e)],
        );
        throw e;
      }
    }
    return worked;
  }

  /** Runs a whole rebuild now (tests, single-process tools): request, steps until swapped. */
  async rebuildNow(): Promise<RebuildProgress> {
    await ProjectionRunner.requestRebuild(this.pool, this.projection.name);
    for (;;) {
      await this.step();
      const p = await this.rebuildProgress();
      if (p && (p.status === 'done' || p.status === 'failed')) return p;
    }
  }

  /** True while this runner builds a shadow copy (reactors pause on it). */
  get rebuilding(): boolean {
    return this.rebuildStartedMs !== undefined;
  }

  /**
   * Creates empty shadow copies with their primary keys (the upserts need them) but without the
   * secondary indexes: maintaining those row by row while a million events are folded costs more
   * than building them once at the end (`finishShadow`).
   *
   * The copies are ordinary logged tables, like every Dropline table: unlogged copies would
   * skip the WAL while they fill, but the benchmarks' rule is default durability with no
   * unlogged tables, and a promoted standby would then lose a half-built copy.
   */
  private async startRebuild(): Promise<void> {
    const shadowName = this.checkpointName('shadow');
    await this.transaction(async (client) => {
      for (const t of this.projection.tables) {
        await client.query(`drop table if exists ${shadowTables(t)}`);
        await client.query(`create table ${shadowTables(t)} (like ${t} including defaults including constraints)`);
        for (const index of await indexesOf(client, t)) {
          // Named now for every index, so a name that cannot take the suffix fails before the work, not at the swap.
          const shadowName = shadowIndexName(index.name);
          if (index.constraintDefinition !== null)
            await client.query(`alter table ${shadowTables(t)} add constraint ${shadowName} ${index.constraintDefinition}`);
        }
      }
      await client.query(`delete from dropline_checkpoints where name = $1`, [shadowName]);
      await client.query(
        `update rm_projection_rebuilds set status = 'running', started_at = now(), events_done = 0 where projection = $1`,
        [this.projection.name],
      );
    });
    this.rebuildStartedMs = Date.now();
    this.swapGaveWay = { times: 0, retryAtMs: 0 };
    // What the copy will apply: the events its filter passes (the log also holds other readers' events and lease events).
    this.rebuildTotal = this.store.countAfter ? await this.store.countAfter(undefined, this.filter()) : null;
  }

  /**
   * Builds the live tables' secondary indexes on the filled shadow copies, outside the swap's
   * exclusive lock. A crash after this commits and before the swap keeps the shadow rows and
   * their checkpoint: the rebuild resumes from there.
   */
  private async finishShadow(): Promise<void> {
    await this.transaction(async (client) => {
      for (const t of this.projection.tables) {
        for (const index of await indexesOf(client, t)) {
          if (index.constraintDefinition !== null) continue;
          const match = /^CREATE (UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ (USING .*)$/i.exec(index.definition);
          if (!match) throw new Error(`cannot copy index ${index.name}: ${index.definition}`);
          await client.query(
            `create ${match[1] ?? ''}index if not exists ${shadowIndexName(index.name)} on ${shadowTables(t)} ${match[2]}`,
          );
        }
        await client.query(`analyze ${shadowTables(t)}`);
      }
    });
  }

  private async reportProgress(): Promise<void> {
    const done = (await this.checkpoint('shadow')).eventsProcessed;
    const seconds = Math.max(0.001, (Date.now() - (this.rebuildStartedMs ?? Date.now())) / 1000);
    const rate = done / seconds;
    const eta = this.rebuildTotal !== null && rate > 0 ? Math.max(0, (this.rebuildTotal - done) / rate) : null;
    await this.pool.query(
      'update rm_projection_rebuilds set events_done = $2, events_total = $3, events_per_second = $4, eta_seconds = $5 where projection = $1',
      [this.projection.name, done, this.rebuildTotal, rate, eta],
    );
  }

  /**
   * Swaps the copies unless a running transaction holds one of the live tables: one open longer
   * than DDL_LOCK_TIMEOUT_MS already (then the swap does not ask for its locks at all), or one
   * that outlasts the swap's bounded lock wait (then the swap has rolled back). Either way it is
   * tried again after a growing pause (up to 5 s, with jitter) while the shadow keeps up with the
   * log. Its ACCESS EXCLUSIVE request, had it waited for an analyst's long read of a read model,
   * would have queued every storefront read and live page of that table behind it for as long as
   * the read lasted; looking first, readers are not held even for the bounded wait on each retry.
   * Returns whether it swapped.
   */
  private async swapUnlessHeld(): Promise<boolean> {
    if (!(await lockHolders(this.pool, this.projection.tables, { openLongerThanMs: DDL_LOCK_TIMEOUT_MS }))) {
      try {
        await this.swap();
        this.swapGaveWay = { times: 0, retryAtMs: 0 };
        return true;
      } catch (e) {
        if (!isLockNotAvailable(e)) throw e;
      }
    }
    const pause = backoffDelay(++this.swapGaveWay.times, 200, 5_000);
    this.swapGaveWay.retryAtMs = Date.now() + pause;
    const holders = await lockHolders(this.pool, this.projection.tables);
    this.swapGaveWay.since ??= new Date().toISOString();
    this.swapGaveWay.heldBy = holders;
    this.logger.warn(
      `projection ${this.projection.name} rebuild: a running transaction holds one of its tables` +
        `${holders ? ` (${holders})` : ''}; the swap gave way (attempt ${this.swapGaveWay.times}), next try in ${pause} ms`,
    );
    return false;
  }

  /**
   * Swaps the shadow copy in under an exclusive lock; readers wait for the rename, never see a
   * half-built table. The shadow's indexes and constraints take the live names, so the schema
   * looks exactly as the migration made it (re-running its `if not exists` adds nothing). Every
   * lock wait is bounded (swapUnlessHeld).
   */
  private async swap(): Promise<void> {
    const name = this.projection.name;
    await this.finishShadow();
    await this.transaction(async (client) => {
      await client.query(`set local lock_timeout = '${DDL_LOCK_TIMEOUT_MS}ms'`);
      await client.query(`lock table ${this.projection.tables.join(', ')} in access exclusive mode`);
      for (const t of this.projection.tables) {
        const indexes = await indexesOf(client, t);
        await client.query(`alter table ${t} rename to ${t}_old`);
        await client.query(`alter table ${shadowTables(t)} rename to ${t}`);
        await client.query(`drop table ${t}_old`);
        // Renaming a constraint's index renames the constraint too.
        for (const index of indexes) await client.query(`alter index if exists ${shadowIndexName(index.name)} rename to ${index.name}`);
      }
      // The live checkpoint becomes the shadow's, fenced like every save (lock first: same rule).
      const live = await this.checkpoints.lock(this.checkpointName('live'), this.fence ?? Number.MAX_SAFE_INTEGER, client);
      await client.query(
        `update dropline_checkpoints set position = s.position, events_processed = s.events_processed, last_event_at = s.last_event_at,
           fence = $3, updated_at = now()
         from dropline_checkpoints s where dropline_checkpoints.name = $1 and s.name = $2`,
        [this.checkpointName('live'), this.checkpointName('shadow'), this.fence ?? live.fence],
      );
      // The last pages came after the last progress report: done counts every event the copy applied.
      await client.query(
        `update rm_projection_rebuilds set status = 'done', finished_at = now(), eta_seconds = 0,
           events_done = coalesce((select events_processed from dropline_checkpoints where name = $2), events_done)
         where projection = $1`,
        [name, this.checkpointName('shadow')],
      );
      await client.query(`delete from dropline_checkpoints where name = $1`, [this.checkpointName('shadow')]);
    });
    this.rebuildStartedMs = undefined;
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const result = await work(client);
      await client.query('commit');
      return result;
    } catch (e) {
      await client.query('rollback').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
}

/** The name an index of a live table has on its shadow copy until the swap. */
function shadowIndexName(name: string): string {
  // PostgreSQL truncates identifiers to 63 bytes; a truncated name could not be renamed back.
  if (name.length > 63 - '_rebuild'.length)
    throw new Error(`index name ${name} is too long to rebuild (at most ${63 - '_rebuild'.length} characters)`);
  return `${name}_rebuild`;
}

/** The indexes of a table in the current schema, with the constraint each one backs. */
async function indexesOf(client: PoolClient, table: string): Promise<IndexInfo[]> {
  const { rows } = await client.query(
    `select i.relname as name, pg_get_indexdef(i.oid) as definition, pg_get_constraintdef(c.oid) as constraint_definition
     from pg_index x
     join pg_class i on i.oid = x.indexrelid
     left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = x.indrelid
     where x.indrelid = to_regclass($1)
     order by i.relname`,
    [table],
  );
  return rows.map((r) => ({ name: r.name, definition: r.definition, constraintDefinition: r.constraint_definition ?? null }));
}

/** Reads a projection's rebuild row (null when none was ever requested). */
export async function readRebuildProgress(pool: Pick<Pool, 'query'>, projection: string): Promise<RebuildProgress | null> {
  const { rows } = await pool.query('select * from rm_projection_rebuilds where projection = $1', [projection]);
  const r = rows[0];
  if (!r) return null;
  const iso = (v: Date | null) => (v ? new Date(v).toISOString() : null);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    status: r.status,
    requestedAt: iso(r.requested_at)!,
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
    eventsDone: Number(r.events_done),
    eventsTotal: n(r.events_total),
    eventsPerSecond: n(r.events_per_second),
    etaSeconds: n(r.eta_seconds),
    error: r.error,
  };
}
