import type { Pool, PoolClient } from 'pg';

/** Something that must run once across every engine instance sharing a database. */
export interface Lease {
  readonly name: string;
  /** True while this process holds the lease. */
  readonly held: boolean;
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

  constructor(
    private readonly pool: Pool,
    readonly name: string,
  ) {}

  get held(): boolean {
    return this.client !== undefined;
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
        client.on('error', () => this.drop());
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
  private mine = false;
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
  async tryAcquire(): Promise<boolean> {
    if (this.mine) return true;
    if (this.taken.has(this.name)) return false;
    this.taken.add(this.name);
    this.mine = true;
    return true;
  }
  async release(): Promise<void> {
    if (this.mine) this.taken.delete(this.name);
    this.mine = false;
  }
}
