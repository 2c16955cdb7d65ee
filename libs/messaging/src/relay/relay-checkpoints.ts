import type { Pool } from 'pg';

/** A checkpoint save refused because a holder with a newer lease fence already saved one. */
export class FencedCheckpointError extends Error {
  readonly code = 'LEASE.FENCED';
  constructor(
    readonly checkpoint: string,
    readonly fence: number,
  ) {
    super(`checkpoint ${checkpoint}: not saved with fence ${fence}, a newer lease holder has written it`);
    this.name = 'FencedCheckpointError';
  }
}

/** Where the relay remembers the last global-log position the broker acknowledged. */
export class RelayCheckpoints {
  constructor(private readonly pool: Pool) {}

  async ensureSchema(): Promise<void> {
    await this.pool.query(`create schema if not exists messaging`);
    await this.pool.query(
      `create table if not exists messaging.relay_checkpoints (
         name text primary key,
         position text,
         published bigint not null default 0,
         updated_at timestamptz not null default now()
       )`,
    );
    // The fencing token of the lease holding that last saved it (issue 14): older holders' saves are refused.
    await this.pool.query(`alter table messaging.relay_checkpoints add column if not exists fence bigint not null default 0`);
  }

  /** The stored position, or undefined to start from the beginning of the log. */
  async load(name: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ position: string | null }>(
      `select position from messaging.relay_checkpoints where name = $1`,
      [name],
    );
    return rows[0]?.position ?? undefined;
  }

  /**
   * Saves the position, conditionally on the lease fence: a row written by a holder with a greater
   * fence (a newer holding) is left alone and FencedCheckpointError is thrown.
   */
  async save(name: string, position: string, published: number, fence: number): Promise<void> {
    const { rowCount } = await this.pool.query(
      `insert into messaging.relay_checkpoints (name, position, published, fence, updated_at) values ($1, $2, $3, $4, now())
       on conflict (name) do update set position = excluded.position, published = messaging.relay_checkpoints.published + excluded.published,
         fence = excluded.fence, updated_at = now()
       where messaging.relay_checkpoints.fence <= excluded.fence`,
      [name, position, published, fence],
    );
    if (rowCount === 0) throw new FencedCheckpointError(name, fence);
  }
}
