import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { WrongExpectedRevisionError, type EventStore, type NewEvent, type RecordedEvent } from '@dropline/event-store';
import type { Lease, LeaseStoreKind } from './lease';

/** The lease stream's category: never relayed, projected or exported (their filters name other categories). */
export const LEASE_STREAM_CATEGORY = 'lease';

/** The event types of a lease stream. */
export const LEASE_EVENT_TYPES = ['LeaseAcquired', 'LeaseRenewed', 'LeaseReleased'] as const;
export type LeaseEventType = (typeof LEASE_EVENT_TYPES)[number];

export interface LeaseEventData {
  lease: string;
  /** Unique per lease object: `<host>:<pid>:<uuid>`. */
  holder: string;
  /** The holder's TTL: a contender waits at least this long on a stream that does not move. */
  ttlMs?: number;
  /** Informational only (the holder's wall clock): nothing decides on it, see the class comment. */
  expiresAt?: string;
}

/**
 * `lease-<name>`: the category is `lease` whatever the name holds (EventStoreDB's `$by_category`
 * splits at the first hyphen); characters other than letters, digits, `.`, `_`, `:` and `-` become `_`.
 */
export function leaseStreamName(name: string): string {
  return `${LEASE_STREAM_CATEGORY}-${name.replace(/[^A-Za-z0-9._:-]/g, '_')}`;
}

export interface EventStoreLeaseOptions {
  /** How long a holding lasts without a renewal (LEASE_TTL_MS). */
  ttlMs: number;
  /** Names this holder in the lease events; unique per lease object (default `<host>:<pid>:<uuid>`). */
  holder?: string;
  /** Monotonic milliseconds (default performance.now); tests pass a manual one. */
  monotonic?: () => number;
  /** Wall clock, only for the informational `expiresAt` and the events' occurredAt. */
  wallClock?: () => Date;
  /** Renews in the background every ttlMs/3 while held (default true; tests drive renewals by hand). */
  autoRenew?: boolean;
}

interface Holding {
  /** Revision of this holder's last lease event (the expected revision of its next append). */
  revision: number;
  /** Revision of the acquiring append. */
  fence: number;
  /** Monotonic time the last successful append was sent. */
  sentAt: number;
}

/**
 * A lease kept in the event store itself, written against the EventStore port only (PGlite,
 * PostgreSQL, EventStoreDB): the stream `lease-<name>` holds LeaseAcquired / LeaseRenewed /
 * LeaseReleased events, each appended with the expected revision of the stream as the writer saw
 * it, so two contenders can never both succeed. The fence is the revision of the acquiring append.
 *
 * Expiry, without trusting any wall clock. The holder measures its holding on its own monotonic
 * clock from the moment it *sent* its last successful append: `held` turns false at
 * sentAt + ttl − ttl/5 (the fifth is room for a write started just before the deadline). A
 * contender never compares the event's recorded time with its own clock (that would make safety
 * depend on the skew between the store's clock and every engine's); it takes over only after it
 * has observed the stream at one same revision for a full ttl (the larger of its own and the
 * holder's) on its monotonic clock. Its observation starts after that append committed, hence
 * after the holder sent it, so the holder's deadline passes first whatever the clocks say, as
 * long as the two monotonic clocks tick at about the same rate. A LeaseReleased event, or a last
 * event by this same holder object, lets a contender in at once. The price: after a crash the
 * lease changes hands between one and two ttl later (a contender that has just started needs a
 * full ttl of observation).
 *
 * A holder renews every ttl/3 in the background; a renewal that meets another revision has lost
 * the lease. A renewal sent after the holder's own deadline (it was paused, or the store was
 * unreachable) is a new acquisition with a new fence, since the work it guards stopped meanwhile.
 */
export class EventStoreLease implements Lease {
  readonly kind: LeaseStoreKind = 'event-store';
  readonly stream: string;
  readonly holder: string;
  private readonly ttlMs: number;
  private readonly monotonic: () => number;
  private readonly wallClock: () => Date;
  private readonly autoRenew: boolean;
  private holding: Holding | undefined;
  private observed: { revision: number; since: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    readonly name: string,
    options: EventStoreLeaseOptions,
  ) {
    if (!(options.ttlMs > 0)) throw new Error(`lease ${name}: ttlMs must be positive`);
    this.stream = leaseStreamName(name);
    this.ttlMs = options.ttlMs;
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID()}`;
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.wallClock = options.wallClock ?? (() => new Date());
    this.autoRenew = options.autoRenew ?? true;
  }

  /** The monotonic time at which `held` turns false unless renewed first. */
  get deadline(): number | undefined {
    return this.holding ? this.holding.sentAt + this.ttlMs - this.ttlMs / 5 : undefined;
  }

  get held(): boolean {
    const deadline = this.deadline;
    return deadline !== undefined && this.monotonic() < deadline;
  }

  get fence(): number | undefined {
    return this.held ? this.holding?.fence : undefined;
  }

  tryAcquire(): Promise<boolean> {
    return this.serialized(async () => {
      if (!this.holding) return this.acquire();
      // Renewals every ttl/3 (a quarter here, so a timer firing a little early still renews).
      if (this.held && this.monotonic() < this.holding.sentAt + this.ttlMs / 4) return true;
      return this.renew(this.holding);
    });
  }

  release(): Promise<void> {
    return this.serialized(async () => {
      this.stopTimer();
      const holding = this.holding;
      this.holding = undefined;
      this.observed = undefined;
      if (!holding) return;
      // Expected revision: if someone took over meanwhile, there is nothing of ours to release.
      await this.store.appendToStream(this.stream, [this.event('LeaseReleased', false)], holding.revision).catch(() => undefined);
    });
  }

  private async acquire(): Promise<boolean> {
    const now = this.monotonic();
    const last = (await this.store.readStream(this.stream, { direction: 'backwards', maxCount: 1 }))[0] as
      RecordedEvent<Partial<LeaseEventData>> | undefined;
    if (last && last.type !== 'LeaseReleased' && last.data.holder !== this.holder) {
      if (!this.observed || this.observed.revision !== last.revision) {
        this.observed = { revision: last.revision, since: now };
        return false;
      }
      const wait = Math.max(this.ttlMs, typeof last.data.ttlMs === 'number' ? last.data.ttlMs : 0);
      if (now - this.observed.since < wait) return false;
    }
    const sentAt = this.monotonic();
    try {
      const { nextExpectedRevision } = await this.store.appendToStream(
        this.stream,
        [this.event('LeaseAcquired', true)],
        last ? last.revision : 'no_stream',
      );
      this.holding = { revision: nextExpectedRevision, fence: nextExpectedRevision, sentAt };
      this.observed = undefined;
      this.startTimer();
      return this.held;
    } catch (e) {
      // Another contender won the race (or the store failed): look again next time.
      this.observed = undefined;
      if (e instanceof WrongExpectedRevisionError) return false;
      throw e;
    }
  }

  private async renew(holding: Holding): Promise<boolean> {
    const sentAt = this.monotonic();
    const expired = !this.held;
    try {
      const { nextExpectedRevision } = await this.store.appendToStream(
        this.stream,
        [this.event(expired ? 'LeaseAcquired' : 'LeaseRenewed', true)],
        holding.revision,
      );
      this.holding = { revision: nextExpectedRevision, fence: expired ? nextExpectedRevision : holding.fence, sentAt };
      return this.held;
    } catch (e) {
      if (!(e instanceof WrongExpectedRevisionError)) return this.held; // the store failed: hold until the deadline
      const last = (await this.store.readStream(this.stream, { direction: 'backwards', maxCount: 1 }).catch(() => []))[0] as
        RecordedEvent<Partial<LeaseEventData>> | undefined;
      if (last && last.data.holder === this.holder && last.type !== 'LeaseReleased') {
        // An earlier append of ours whose answer was lost did commit: nobody else wrote since.
        // Adopt its revision, keep the earlier (safe) deadline; the next call renews.
        this.holding = { ...holding, revision: last.revision };
        return this.held;
      }
      this.holding = undefined;
      this.stopTimer();
      if (last) this.observed = { revision: last.revision, since: this.monotonic() };
      return false;
    }
  }

  private event(type: LeaseEventType, expiring: boolean): NewEvent {
    const now = this.wallClock();
    const data: LeaseEventData = { lease: this.name, holder: this.holder };
    if (expiring) {
      data.ttlMs = this.ttlMs;
      data.expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    }
    return {
      eventId: randomUUID(),
      type,
      schemaVersion: 1,
      data: data as unknown as Record<string, unknown>,
      metadata: {
        correlationId: `lease:${this.name}`,
        causationId: null,
        actor: 'system:lease',
        occurredAt: now.toISOString(),
        traceparent: '',
      },
    };
  }

  private startTimer(): void {
    if (!this.autoRenew || this.timer) return;
    this.timer = setInterval(() => void this.tryAcquire().catch(() => undefined), Math.max(1, Math.floor(this.ttlMs / 3)));
    this.timer.unref?.();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One append at a time per lease object: the background renewal and the caller's tryAcquire never race each other. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
