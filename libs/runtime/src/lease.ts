import type { Pool, PoolClient } from 'pg';

/** Something that must run once across every engine instance sharing a database. */
export interface Lease {
  readonly name: string;
  /** True while this process holds the lease. */
  readonly held: boolean;
  /**
   * Fencing token of the current holding: greater than every earlier holding's token of this
   * lease name, across all instances; undefined when not held. Checkpoint saves carry it, so a
   * holder that lost the lease cannot overwrite its successor's progress.
   */
  readonly fence: number | undefined;
  /** Tries to take the lease; returns whether it is held now. */
  tryAcquire(): Promise<boolean>;
  release(): Promise<void>;
}

/** 64-bit advisory-lock key of a lease name (stable across processes and versions). */
export function leaseKey(name: string): bigint {
  // FNV-1a 64: deterministic, no dependency, and far from Dropline's other lock keys.
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(`dropline:lease:${name}`, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash);
}

/**
 * A PostgreSQL session advisory lock held on a dedicated connection. The lock lives as
 * long as that connection: if the process dies or the connection drops, PostgreSQL
 * releases it and another instance takes over on its next try.
 */
export class AdvisoryLease implements Lease {
  private client: PoolClient | undefined;
  private token: number | undefined;

  constructor(
    private readonly pool: Pool,
    readonly name: string,
  ) {}

  get held(): boolean {
    return this.client !== undefined;
  }

  get fence(): number | undefined {
    return this.client ? this.token : undefined;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.client) {
      // Still ours only if the connection is still alive.
      try {
        await this.client.query('select 1');
        return true;
      } catch {
        this.drop();
      }
    }
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch {
      return false;
    }
    try {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [
        leaseKey(this.name).toString(),
      ]);
      if (rows[0]?.ok) {
        // The fence: a counter bumped by every acquisition, under the lock, in the same database.
        await client.query('create table if not exists dropline_lease_fences (name text primary key, fence bigint not null)');
        const bumped = await client.query<{ fence: string }>(
          `insert into dropline_lease_fences (name, fence) values ($1, 1)
           on conflict (name) do update set fence = dropline_lease_fences.fence + 1 returning fence`,
          [this.name],
        );
        client.on('error', () => this.drop());
        this.token = Number(bumped.rows[0].fence);
        this.client = client;
        return true;
      }
      client.release();
      return false;
    } catch {
      client.release(true);
      return false;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    try {
      await client.query('select pg_advisory_unlock($1::bigint)', [leaseKey(this.name).toString()]);
      client.release();
    } catch {
      client.release(true);
    }
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    client?.release(true);
  }
}

/**
 * The embedded engine's lease: the data directory is already locked to one process, and
 * its single PGlite connection cannot be parked on a lock, so holding is local.
 */
export class ProcessLease implements Lease {
  private static readonly holders = new WeakMap<object, Set<string>>();
  /**
   * Per scope and name, the last fence handed out. Process-local (one process holds the data
   * directory), seeded from the wall clock so it also grows across restarts: the checkpoints it
   * fences outlive the process.
   */
  private static readonly fences = new WeakMap<object, Map<string, number>>();
  private mine = false;
  private token: number | undefined;
  /** `scope` is the embedded database: two engines in one process on different databases do not contend. */
  constructor(
    readonly name: string,
    private readonly scope: object,
  ) {}
  private get taken(): Set<string> {
    let set = ProcessLease.holders.get(this.scope);
    if (!set) ProcessLease.holders.set(this.scope, (set = new Set()));
    return set;
  }
  get held(): boolean {
    return this.mine;
  }
  get fence(): number | undefined {
    return this.mine ? this.token : undefined;
  }
  async tryAcquire(): Promise<boolean> {
    if (this.mine) return true;
    if (this.taken.has(this.name)) return false;
    this.taken.add(this.name);
    let fences = ProcessLease.fences.get(this.scope);
    if (!fences) ProcessLease.fences.set(this.scope, (fences = new Map()));
    this.token = Math.max((fences.get(this.name) ?? 0) + 1, Date.now());
    fences.set(this.name, this.token);
    this.mine = true;
    return true;
  }
  async release(): Promise<void> {
    if (this.mine) this.taken.delete(this.name);
    this.mine = false;
  }
}
