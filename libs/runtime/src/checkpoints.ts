import { migrateOnce } from '@dropline/event-store';
/** The part of a pg pool or client the checkpoint store talks through (a PoolClient inside the reader's transaction). */
export interface CheckpointQueryable {
  query<R extends Record<string, any> = any>(text: string, params?: unknown[]): Promise<{ rows: R[]; rowCount?: number | null }>;
}

/**
 * The one checkpoint table of every reader of the log, created by the runtime in each database
 * a reader writes to (not a TypeORM entity: it belongs to the runtime, not to a read model).
 */
export const CHECKPOINTS_DDL = `create table if not exists dropline_checkpoints (
  name text primary key,
  position text,
  events_processed bigint not null default 0,
  last_event_at timestamptz,
  fence bigint not null default 0,
  updated_at timestamptz not null default now()
)`;

/** Where a reader stands in the global log. */
export interface Checkpoint {
  name: string;
  /** Store position past everything applied or scanned; undefined = the start of the log. */
  position: string | undefined;
  eventsProcessed: number;
  /** recordedAt of the last event applied. */
  lastEventAt: string | undefined;
  /** Lease fencing token of the last writer. */
  fence: number;
}

export interface CheckpointSave {
  name: string;
  position: string | undefined;
  /** Events this save adds to events_processed (0 when the page only moved the position). */
  processed?: number;
  /** recordedAt of the last event applied; kept as it was when undefined. */
  lastEventAt?: string;
  /** The writer's lease fence: refused when a holder with a newer fence already wrote. */
  fence: number;
}

/** A holder with a newer fence already wrote this checkpoint: the writer lost its lease. */
export class FencedError extends Error {
  readonly code = 'RUNTIME.FENCED';
  constructor(
    readonly checkpoint: string,
    readonly fence: number,
    readonly current: number | undefined,
  ) {
    super(`checkpoint ${checkpoint}: fence ${fence} is older than the stored fence ${current ?? 'unknown'}; another holder took over`);
    this.name = 'FencedError';
  }
}

/** A checkpoint of a table the runtime replaced, to be copied into dropline_checkpoints once. */
export interface LegacyCheckpoint {
  /** The old table (schema-qualified where needed); nothing happens when it does not exist. */
  table: string;
  /** Selects at most one row with `position`, and optionally `events_processed`, `last_event_at`. */
  select: string;
  params?: unknown[];
  /** Drop the old table once its row is copied (in the same transaction). */
  drop?: boolean;
}

/**
 * dropline_checkpoints: one row per reader (`projection:drops`, `relay:<topic>`, `consumer:<name>`, …).
 * Every save is fenced: it writes only while the stored fence is not newer than the writer's, so
 * a holder that was paused past its lease cannot move a checkpoint back after another took over.
 * Pass `client` (the transaction holding the reader's rows) and the checkpoint commits with them,
 * and a FencedError rolls the page back.
 */
export class CheckpointStore {
  private ensured: Promise<void> | undefined;

  constructor(private readonly db: CheckpointQueryable) {}

  /**
   * Creates the table (idempotent; once per store object). Through `client` when one is given: on
   * the embedded PGlite the pool's one connection is the open transaction's, so a query on the
   * pool would wait for itself. Not remembered then: that transaction may still roll back.
   */
  async ensureSchema(client: CheckpointQueryable = this.db): Promise<void> {
    if (this.ensured) return this.ensured;
    if (client !== this.db) {
      await client.query(CHECKPOINTS_DDL);
      return;
    }
    // Once, whatever the number of instances starting together (migrateOnce).
    this.ensured = migrateOnce(this.db, (db) => db.query(CHECKPOINTS_DDL).then(() => undefined)).then(
      () => undefined,
      (e: unknown) => {
        this.ensured = undefined;
        throw e;
      },
    );
    return this.ensured;
  }

  async load(name: string, client: CheckpointQueryable = this.db): Promise<Checkpoint | undefined> {
    await this.ensureSchema(client);
    const { rows } = await client.query('select * from dropline_checkpoints where name = $1', [name]);
    return rows[0] ? toCheckpoint(rows[0]) : undefined;
  }

  /**
   * Inside the reader's transaction: creates the row if needed, locks it until the transaction
   * ends (a second line of defence behind the lease) and returns it; throws FencedError when a
   * newer holder wrote it. One round trip.
   */
  async lock(name: string, fence: number, client: CheckpointQueryable): Promise<Checkpoint> {
    await this.ensureSchema(client);
    const { rows } = await client.query(
      `insert into dropline_checkpoints (name) values ($1)
       on conflict (name) do update set name = excluded.name
       returning *`,
      [name],
    );
    const checkpoint = toCheckpoint(rows[0]);
    if (checkpoint.fence > fence) throw new FencedError(name, fence, checkpoint.fence);
    return checkpoint;
  }

  /** Stores a checkpoint; throws FencedError (writing nothing) when a newer holder wrote it. */
  async save(checkpoint: CheckpointSave, client: CheckpointQueryable = this.db): Promise<void> {
    await this.ensureSchema(client);
    const { rows } = await client.query(
      `insert into dropline_checkpoints as c (name, position, events_processed, last_event_at, fence, updated_at)
       values ($1, $2, $3, $4, $5, now())
       on conflict (name) do update set position = excluded.position,
         events_processed = c.events_processed + excluded.events_processed,
         last_event_at = coalesce(excluded.last_event_at, c.last_event_at),
         fence = excluded.fence, updated_at = now()
       where c.fence <= excluded.fence
       returning fence`,
      [checkpoint.name, checkpoint.position ?? null, checkpoint.processed ?? 0, checkpoint.lastEventAt ?? null, checkpoint.fence],
    );
    if (rows.length === 0) {
      const current = await client.query<{ fence: string }>('select fence from dropline_checkpoints where name = $1', [checkpoint.name]);
      throw new FencedError(checkpoint.name, checkpoint.fence, current.rows[0] ? Number(current.rows[0].fence) : undefined);
    }
  }

  /**
   * Copies a replaced table's checkpoint into dropline_checkpoints unless the reader already has
   * a row there, so an upgrade resumes where the old reader stood instead of replaying the log.
   * Safe to run at every start: a crash between the copy and the drop copies nothing the next time.
   */
  async adoptLegacy(name: string, legacy: LegacyCheckpoint): Promise<boolean> {
    await this.ensureSchema();
    const exists = await this.db.query<{ t: string | null }>('select to_regclass($1)::text as t', [legacy.table]);
    if (!exists.rows[0]?.t) return false;
    const { rows } = await this.db.query(legacy.select, legacy.params ?? []);
    const row = rows[0];
    let copied = false;
    if (row) {
      const inserted = await this.db.query(
        `insert into dropline_checkpoints (name, position, events_processed, last_event_at)
         values ($1, $2, $3, $4) on conflict (name) do nothing`,
        [name, row.position ?? null, Number(row.events_processed ?? 0), row.last_event_at ?? null],
      );
      copied = (inserted.rowCount ?? 0) > 0;
    }
    if (legacy.drop) await this.db.query(`drop table if exists ${legacy.table}`);
    return copied;
  }
}

function toCheckpoint(row: Record<string, any>): Checkpoint {
  return {
    name: row.name,
    position: row.position ?? undefined,
    eventsProcessed: Number(row.events_processed ?? 0),
    lastEventAt: row.last_event_at ? new Date(row.last_event_at).toISOString() : undefined,
    fence: Number(row.fence ?? 0),
  };
}
