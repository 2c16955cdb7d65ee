import type { Pool } from 'pg';

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
  }

  /** The stored position, or undefined to start from the beginning of the log. */
  async load(name: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ position: string | null }>(
      `select position from messaging.relay_checkpoints where name = $1`,
      [name],
    );
    return rows[0]?.position ?? undefined;
  }

  async save(name: string, position: string, published: number): Promise<void> {
    await this.pool.query(
      `insert into messaging.relay_checkpoints (name, position, published, updated_at) values ($1, $2, $3, now())
       on conflict (name) do update set position = excluded.position, published = messaging.relay_checkpoints.published + excluded.published, updated_at = now()`,
      [name, position, published],
    );
  }
}
