import type { EventStore, RecordedEvent } from '@dropline/event-store';
import type { Pool, PoolClient } from 'pg';
import { liveTables, PageContext, Projection, shadowTables } from './projection';

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
  /** Age of the oldest event not applied yet (0 when caught up). */
  lagSeconds: number;
  /** Events after the checkpoint, where the store can count them (all types, not only the projection's). */
  lagEvents: number | null;
  rebuild: RebuildProgress | null;
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
  /** Events per transaction while rebuilding the shadow copy. */
  rebuildPageSize?: number;
  now?: () => Date;
}

type Target = 'live' | 'shadow';

/**
 * Runs one projection: reads the log from its checkpoint a page at a time and applies each
 * page and the new checkpoint in one transaction. Only call it while holding the projection's
 * lease; the `for update` on the checkpoint row is the second line of defence.
 */
export class ProjectionRunner {
  readonly projection: Projection;
  private readonly store: EventStore;
  private readonly pool: Pool;
  private readonly pageSize: number;
  private readonly rebuildPageSize: number;
  private readonly now: () => Date;
  private rebuildStartedMs: number | undefined;
  private rebuildTotal: number | null = null;

  constructor(options: ProjectionRunnerOptions) {
    this.projection = options.projection;
    this.store = options.store;
    this.pool = options.pool;
    this.pageSize = options.pageSize ?? 5000;
    this.rebuildPageSize = options.rebuildPageSize ?? this.pageSize;
    this.now = options.now ?? (() => new Date());
  }

  private checkpointName(target: Target): string {
    return target === 'live' ? this.projection.name : `${this.projection.name}#rebuild`;
  }

  async checkpoint(target: Target = 'live'): Promise<Checkpoint> {
    const { rows } = await this.pool.query('select position, events_processed, last_event_at from rm_projection_checkpoints where projection = $1', [this.checkpointName(target)]);
    return toCheckpoint(rows[0]);
  }

  /** Applies the next page to the live (or shadow) copy. */
  async processPage(target: Target = 'live', pageSize = target === 'live' ? this.pageSize : this.rebuildPageSize): Promise<{ applied: number; isEnd: boolean }> {
    const from = await this.checkpoint(target);
    // Read before opening the transaction: in embedded mode the store and the read models share
    // one connection, so a read inside the transaction would wait for itself.
    const page = await this.store.readAll({
      fromPosition: from.position,
      maxCount: pageSize,
      filter: { streamPrefixes: [...this.projection.streamPrefixes], eventTypes: [...this.projection.eventTypes] },
    });
    if (page.events.length === 0) return { applied: 0, isEnd: page.isEnd };
    const applied = await this.applyEvents(page.events, target);
    return { applied, isEnd: page.isEnd };
  }

  /**
   * Applies events (in log order) with the checkpoint in one transaction. Events at or before
   * the checkpoint are skipped, so a page delivered twice changes nothing. Public so tests can
   * deliver duplicates on purpose.
   */
  async applyEvents(events: readonly RecordedEvent[], target: Target = 'live'): Promise<number> {
    const name = this.checkpointName(target);
    return this.transaction(async (client) => {
      await client.query('insert into rm_projection_checkpoints (projection) values ($1) on conflict do nothing', [name]);
      const { rows } = await client.query('select position, events_processed, last_event_at from rm_projection_checkpoints where projection = $1 for update', [name]);
      const current = toCheckpoint(rows[0]);
      const fresh: RecordedEvent[] = [];
      let last = current.position;
      // Applied in log order whatever order the page arrived in (a page must never depend on row
      // order coming back from a join); anything at or before the checkpoint was applied already.
      const ordered = [...events].sort((a, b) => this.store.comparePositions(a.position, b.position));
      for (const e of ordered) {
        if (last !== undefined && this.store.comparePositions(e.position, last) <= 0) continue;
        fresh.push(e);
        last = e.position;
      }
      if (fresh.length === 0) return 0;
      const context: PageContext = { client, table: target === 'live' ? liveTables : shadowTables };
      await this.projection.applyPage(fresh, context);
      await client.query(
        'update rm_projection_checkpoints set position = $2, events_processed = events_processed + $3, last_event_at = $4, updated_at = now() where projection = $1',
        [name, last, fresh.length, fresh[fresh.length - 1].recordedAt],
      );
      return fresh.length;
    });
  }

  /** Processes pages until the end of the log; returns the number of events applied. */
  async catchUp(target: Target = 'live'): Promise<number> {
    let total = 0;
    for (;;) {
      const { applied, isEnd } = await this.processPage(target);
      total += applied;
      if (isEnd || applied === 0) return total;
    }
  }

  async lag(): Promise<ProjectionLag> {
    const cp = await this.checkpoint('live');
    const next = await this.store.readAll({
      fromPosition: cp.position,
      maxCount: 1,
      filter: { streamPrefixes: [...this.projection.streamPrefixes], eventTypes: [...this.projection.eventTypes] },
    });
    const oldest = next.events[0];
    const lagSeconds = oldest ? Math.max(0, (this.now().getTime() - Date.parse(oldest.recordedAt)) / 1000) : 0;
    const lagEvents = this.store.countAfter ? await this.store.countAfter(cp.position) : null;
    return {
      projection: this.projection.name,
      checkpoint: cp.position ?? null,
      eventsProcessed: cp.eventsProcessed,
      lagSeconds,
      lagEvents,
      rebuild: await this.rebuildProgress(),
    };
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
    let worked = live.applied > 0;
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
        worked = worked || shadow.applied > 0;
        await this.reportProgress();
        const [s, l] = [await this.checkpoint('shadow'), await this.checkpoint('live')];
        const caughtUp = l.position === undefined || (s.position !== undefined && this.store.comparePositions(s.position, l.position) >= 0) || (shadow.isEnd && shadow.applied === 0);
        if (caughtUp) await this.swap();
      } catch (e) {
        this.rebuildStartedMs = undefined;
        await this.pool.query(`update rm_projection_rebuilds set status = 'failed', error = $2, finished_at = now() where projection = $1`, [this.projection.name, String(e)]);
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

  private async startRebuild(): Promise<void> {
    const shadowName = this.checkpointName('shadow');
    await this.transaction(async (client) => {
      for (const t of this.projection.tables) {
        await client.query(`drop table if exists ${shadowTables(t)}`);
        await client.query(`create table ${shadowTables(t)} (like ${t} including all)`);
      }
      await client.query('delete from rm_projection_checkpoints where projection = $1', [shadowName]);
      await client.query(`update rm_projection_rebuilds set status = 'running', started_at = now(), events_done = 0 where projection = $1`, [this.projection.name]);
    });
    this.rebuildStartedMs = Date.now();
    this.rebuildTotal = this.store.countAfter ? await this.store.countAfter(undefined) : null;
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

  /** Swaps the shadow copy in under an exclusive lock; readers wait for the rename, never see a half-built table. */
  private async swap(): Promise<void> {
    const name = this.projection.name;
    await this.transaction(async (client) => {
      await client.query(`lock table ${this.projection.tables.join(', ')} in access exclusive mode`);
      for (const t of this.projection.tables) {
        await client.query(`alter table ${t} rename to ${t}_old`);
        await client.query(`alter table ${shadowTables(t)} rename to ${t}`);
        await client.query(`drop table ${t}_old`);
      }
      await client.query(
        `insert into rm_projection_checkpoints (projection, position, events_processed, last_event_at, updated_at)
         select $1, position, events_processed, last_event_at, now() from rm_projection_checkpoints where projection = $2
         on conflict (projection) do update set position = excluded.position, events_processed = excluded.events_processed,
           last_event_at = excluded.last_event_at, updated_at = now()`,
        [name, this.checkpointName('shadow')],
      );
      await client.query('delete from rm_projection_checkpoints where projection = $1', [this.checkpointName('shadow')]);
      await client.query(`update rm_projection_rebuilds set status = 'done', finished_at = now(), eta_seconds = 0 where projection = $1`, [name]);
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

/** Reads a projection's rebuild row (null when none was ever requested). */
export async function readRebuildProgress(pool: Pick<Pool, 'query'>, projection: string): Promise<RebuildProgress | null> {
  const { rows } = await pool.query('select * from rm_projection_rebuilds where projection = $1', [projection]);
  const r = rows[0];
  if (!r) return null;
  const iso = (v: Date | null) => (v ? new Date(v).toISOString() : null);
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    status: r.status, requestedAt: iso(r.requested_at)!, startedAt: iso(r.started_at), finishedAt: iso(r.finished_at),
    eventsDone: Number(r.events_done), eventsTotal: n(r.events_total), eventsPerSecond: n(r.events_per_second), etaSeconds: n(r.eta_seconds), error: r.error,
  };
}

function toCheckpoint(row: Record<string, any> | undefined): Checkpoint {
  return {
    position: row?.position ?? undefined,
    eventsProcessed: row ? Number(row.events_processed) : 0,
    lastEventAt: row?.last_event_at ? new Date(row.last_event_at).toISOString() : undefined,
  };
}
