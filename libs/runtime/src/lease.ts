import { performance } from 'node:perf_hooks';
import type { Pool, PoolClient } from 'pg';

/** Which store keeps a lease (LEASE_STORE, docs/architecture.md "Work that runs once"). */
export type LeaseStoreKind = 'database' | 'event-store' | 'process';

/** Something that must run once across every engine instance sharing a database or an event store. */
export interface Lease {
  readonly name: string;
  /**
   * True only while held AND (for expiring leases, and the advisory lease past four fifths of its
   * idle-session timeout since its last answered renewal) not past the local deadline, measured
   * on this process's monotonic clock (performance.now()): a process paused past it sees false the
   * moment it runs again, before it can make another leased write.
   */
  readonly held: boolean;
  /**
   * Fencing token of the current holding: a number strictly greater than every earlier holding's
   * token of this lease name, across all instances; undefined when not held. Writes that leased
   * work makes carry it, and a store that has seen a greater one refuses them.
   */
  readonly fence: number | undefined;
  /** Takes or renews the lease; returns whether it is held now. */
  tryAcquire(): Promise<boolean>;
  release(): Promise<void>;
}

/** Thrown by leased work that finds its lease gone before a write (it stops; the new holder goes on). */
export class LeaseLostError extends Error {
  readonly code = 'LEASE.LOST';
  constructor(
    readonly lease: string,
    /** The write that was not made. */
    readonly refused: string,
  ) {
    super(`lease ${lease} is no longer held: ${refused} refused`);
    this.name = 'LeaseLostError';
  }
}

/** Throws LeaseLostError unless the lease is held right now; returns its fence. Call immediately before a leased write. */
export function assertHeld(lease: Lease, write: string): number {
  const fence = lease.fence;
  if (!lease.held || fence === undefined) throw new LeaseLostError(lease.name, write);
  return fence;
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

/** The advisory lease's fencing counters: one row per lease name, bumped by every acquisition. */
export const LEASE_FENCES_TABLE = 'dropline_lease_fences';

/**
 * How the server finds out that a holder's host is gone, set on the holder's session as it takes
 * the lock: TCP keepalive probes after 5 s of silence, one a second, 5 unanswered ones end the
 * connection; data left unacknowledged for 10 s ends it too (tcp_user_timeout). Without them
 * a holder whose host vanished without closing its connection (power loss, a frozen VM, a network
 * partition) kept the lock for the kernel's keepalive default, over two hours.
 */
export const ADVISORY_LEASE_KEEPALIVE = { idleSeconds: 5, intervalSeconds: 1, count: 5, userTimeoutMs: 10_000 } as const;

/**
 * How long the holder waits for its renewal's answer before it counts the lease lost: well under
 * the ~10 s after which the server ends a silent holder's session (ADVISORY_LEASE_KEEPALIVE), so a
 * holder cut off from the database stops its leased work before anyone else can take the lock.
 */
export const ADVISORY_LEASE_RENEW_TIMEOUT_MS = 4_000;

/**
 * How long the server lets the holder's session sit idle before it ends it, and the lock with it
 * (`idle_session_timeout`, PostgreSQL 14 and later; set on the session once the lock is won, reset
 * when it is released). A holder renews at least every third of it in the background, so only a
 * holder that does not run — SIGSTOP, `docker pause`, a debugger, an event loop blocked that long —
 * goes idle that long; its kernel still answers keepalive probes, so without it the lock stayed
 * with the paused process until it ran again. The holder counts the lease lost four fifths of it
 * after the last renewal it sent, before the server can end the session.
 */
export const ADVISORY_LEASE_IDLE_SESSION_TIMEOUT_MS = 15_000;

/** pg reads `query_timeout` per query too, though its types list it on the client config only. */
const RENEWAL = { text: 'select 1', query_timeout: ADVISORY_LEASE_RENEW_TIMEOUT_MS };

const KEEPALIVE_SETTINGS = [
  `set_config('tcp_keepalives_idle', '${ADVISORY_LEASE_KEEPALIVE.idleSeconds}', false)`,
  `set_config('tcp_keepalives_interval', '${ADVISORY_LEASE_KEEPALIVE.intervalSeconds}', false)`,
  `set_config('tcp_keepalives_count', '${ADVISORY_LEASE_KEEPALIVE.count}', false)`,
  `set_config('tcp_user_timeout', '${ADVISORY_LEASE_KEEPALIVE.userTimeoutMs}', false)`,
].join(', ');

/** `idle_session_timeout` where the server has it (14+); a NULL elsewhere. */
const idleSessionTimeout = (ms: number) =>
  `case when current_setting('server_version_num')::int >= 140000 then set_config('idle_session_timeout', '${ms}', false) end`;
/** Back to what the session had (a role's or database's own setting), as RESET would. */
const RESET_IDLE_SESSION_TIMEOUT = `case when current_setting('server_version_num')::int >= 140000
  then set_config('idle_session_timeout', (select reset_val from pg_settings where name = 'idle_session_timeout'), false) end`;

export interface AdvisoryLeaseOptions {
  /** ADVISORY_LEASE_IDLE_SESSION_TIMEOUT_MS unless a test needs a shorter one; 0 turns it off. */
  idleSessionTimeoutMs?: number;
}

/**
 * A PostgreSQL session advisory lock held on a dedicated connection. The lock lives as
 * long as that connection: if the process dies or the connection drops, PostgreSQL
 * releases it and another instance takes over on its next try; if the holder's host goes
 * silent, the server ends the session about 10 s later (ADVISORY_LEASE_KEEPALIVE), and the
 * holder, whose renewals go unanswered, has counted the lease lost before that
 * (ADVISORY_LEASE_RENEW_TIMEOUT_MS); if the holder itself stops running (paused), the server ends
 * its idle session after ADVISORY_LEASE_IDLE_SESSION_TIMEOUT_MS, and the holder, resumed, finds
 * its holding past its own deadline. Each acquisition bumps the lease's row of
 * `dropline_lease_fences` on the same connection, under the lock: that number is the fence.
 */
export class AdvisoryLease implements Lease {
  readonly kind: LeaseStoreKind = 'database';
  private client: PoolClient | undefined;
  private currentFence: number | undefined;
  /** performance.now() when the last renewal that was answered was sent (or the lock taken). */
  private renewedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The renewal in flight, and the connection it renews (a holding taken since has its own). */
  private renewing: { client: PoolClient; answer: Promise<boolean> } | undefined;
  private readonly idleSessionTimeoutMs: number;
  private static readonly schemaReady = new WeakMap<Pool, Promise<void>>();

  constructor(
    private readonly pool: Pool,
    readonly name: string,
    options: AdvisoryLeaseOptions = {},
  ) {
    this.idleSessionTimeoutMs = options.idleSessionTimeoutMs ?? ADVISORY_LEASE_IDLE_SESSION_TIMEOUT_MS;
  }

  get held(): boolean {
    if (this.client === undefined) return false;
    // Not renewed for four fifths of the idle timeout (this process did not run): the server may end the session any moment.
    return this.idleSessionTimeoutMs === 0 || performance.now() - this.renewedAt < (this.idleSessionTimeoutMs * 4) / 5;
  }

  get fence(): number | undefined {
    return this.held ? this.currentFence : undefined;
  }

  async tryAcquire(): Promise<boolean> {
    if (this.client && (await this.renew())) return true;
    let client: PoolClient;
    try {
      await this.ensureSchema();
      client = await this.pool.connect();
    } catch {
      return false;
    }
    const sentAt = performance.now();
    try {
      // The session's keepalive settings in the same round trip (they stay with the pooled connection: harmless).
      const { rows } = await client.query<{ ok: boolean }>(`select pg_try_advisory_lock($1::bigint) as ok, ${KEEPALIVE_SETTINGS}`, [
        leaseKey(this.name).toString(),
      ]);
      if (!rows[0]?.ok) {
        client.release();
        return false;
      }
      const bumped = await client.query<{ fence: string }>(
        `insert into ${LEASE_FENCES_TABLE} (name, fence) values ($1, 1)
         on conflict (name) do update set fence = ${LEASE_FENCES_TABLE}.fence + 1 returning fence`,
        [this.name],
      );
      if (this.idleSessionTimeoutMs > 0) await client.query(`select ${idleSessionTimeout(this.idleSessionTimeoutMs)}`);
      // Only while it is this holding's: a connection released to the pool (or dropped) may fail later.
      client.on('error', () => this.client === client && this.drop());
      this.currentFence = Number(bumped.rows[0].fence);
      this.client = client;
      this.renewedAt = sentAt;
      if (this.idleSessionTimeoutMs > 0) {
        this.timer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.idleSessionTimeoutMs / 3)));
        this.timer.unref();
      }
      return true;
    } catch {
      // Dropping the connection also drops a lock taken on it.
      client.release(true);
      return false;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.currentFence = undefined;
    clearInterval(this.timer);
    try {
      // The idle timeout goes with the lock: the pool's next user of this connection must not be ended for idling.
      await client.query(`select pg_advisory_unlock($1::bigint), ${RESET_IDLE_SESSION_TIMEOUT}`, [leaseKey(this.name).toString()]);
      client.release();
    } catch {
      client.release(true);
    }
  }

  /**
   * One `select 1` on the holder's connection at a time (the supervisor's between pages and the
   * background timer's share it); false, with the holding dropped, when it goes unanswered.
   */
  private renew(): Promise<boolean> {
    const client = this.client;
    if (!client) return Promise.resolve(false);
    if (this.renewing?.client === client) return this.renewing.answer;
    const sentAt = performance.now();
    const renewing = {
      client,
      answer: client.query(RENEWAL).then(
        () => {
          if (this.client === client) this.renewedAt = sentAt;
          return this.client === client;
        },
        () => {
          if (this.client === client) this.drop();
          return false;
        },
      ),
    };
    this.renewing = renewing;
    void renewing.answer.finally(() => this.renewing === renewing && (this.renewing = undefined));
    return renewing.answer;
  }

  /** Creates the fence table once per pool (concurrent creators race on the catalog: one retry settles it). */
  private ensureSchema(): Promise<void> {
    let ready = AdvisoryLease.schemaReady.get(this.pool);
    if (!ready) {
      const create = () =>
        this.pool.query(`create table if not exists ${LEASE_FENCES_TABLE} (name text primary key, fence bigint not null)`);
      ready = create()
        .catch(() => create())
        .then(() => undefined);
      ready.catch(() => AdvisoryLease.schemaReady.delete(this.pool));
      AdvisoryLease.schemaReady.set(this.pool, ready);
    }
    return ready;
  }

  private drop(): void {
    const client = this.client;
    this.client = undefined;
    this.currentFence = undefined;
    clearInterval(this.timer);
    client?.release(true);
  }
}

/**
 * The process-local lease: for the embedded engine (the data directory is already locked to one
 * process, and its single PGlite connection cannot be parked on a lock) and for an explicit
 * SINGLE_INSTANCE=true. Its fence is a process-wide counter that starts at the wall-clock time in
 * milliseconds, so it also grows across restarts of the one instance (unless the clock is set
 * back by more than the downtime).
 */
export class ProcessLease implements Lease {
  readonly kind: LeaseStoreKind = 'process';
  private static readonly holders = new WeakMap<object, Set<string>>();
  private static lastFence = 0;
  private mine = false;
  private currentFence: number | undefined;
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
    return this.mine ? this.currentFence : undefined;
  }
  async tryAcquire(): Promise<boolean> {
    if (this.mine) return true;
    if (this.taken.has(this.name)) return false;
    this.taken.add(this.name);
    this.mine = true;
    ProcessLease.lastFence = Math.max(ProcessLease.lastFence + 1, Date.now());
    this.currentFence = ProcessLease.lastFence;
    return true;
  }
  async release(): Promise<void> {
    if (this.mine) this.taken.delete(this.name);
    this.mine = false;
    this.currentFence = undefined;
  }
}
