import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DemandTurnedAway, demandStreamName, DomainError } from '@dropline/domain';
import { toNewEvent } from '@dropline/event-sourcing';
import { WrongExpectedRevisionError, type EventStore, type NewEvent } from '@dropline/event-store';
import { dropEventSchema } from '../drops/drop-writer';
import { Clock, EVENT_STORE, systemContext } from '@dropline/platform';

type Reason = DemandTurnedAway['data']['reason'];

/** Rejection codes that are demand the drop could not serve (not bad requests). */
const REASONS: Readonly<Record<string, Reason>> = { 'DROP.SOLD_OUT': 'sold-out', 'DROP.INSUFFICIENT_STOCK': 'insufficient-stock' };

/** How often counts are appended. One event per drop, SKU and reason per interval at most. */
export const DEMAND_FLUSH_INTERVAL_MS = 5_000;

/** Appends lost to another engine's recorder before this flush leaves a drop's counts for the next one. */
const MAX_CONFLICTS = 5;

interface Count {
  dropId: string;
  sku: string;
  reason: Reason;
  units: number;
  requests: number;
  /** Start of the interval these counts cover when they were held back from an earlier flush. */
  since?: string;
}

/**
 * Records demand the engine turned away, so analysts replaying a drop see demand beyond the cap
 * instead of silent zeros. On the pre-order path it only bumps an in-memory counter; a timer
 * appends the counts as DemandTurnedAway events to `demand-<dropId>` (a stream of its own, so
 * it never contends with the drop's writer), and shutdown flushes the rest.
 *
 * Counts are per request: a customer retrying a sold-out SKU counts each time, which is what a
 * storefront would see too. Counts of a crash between two flushes are lost (at most one
 * interval of turned-away demand).
 *
 * Never counted twice, on any store: events are appended with the stream's expected revision
 * (another engine's recorder appending to the same stream means a conflict, a re-read and a
 * retry), and an append that failed is kept as it was, with its event ids. An error does not
 * say whether the store kept the events (a timeout after the commit), so before appending
 * them again the recorder reads the stream after the revision it appended at and looks for
 * those ids: found, they are not appended again. It never relies on the store refusing a
 * repeated id, which EventStoreDB does not do reliably. Counts made meanwhile wait behind it.
 */
@Injectable()
export class DemandRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('DemandRecorder');
  private counts = new Map<string, Count>();
  private intervalStart: string;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Per drop: the revision of `demand-<dropId>` this recorder last saw (before an append whose outcome is unknown). */
  private readonly revisions = new Map<string, number>();
  /** Per drop: the events of an append that failed, possibly stored; appended again (verbatim) only if not. */
  private readonly unconfirmed = new Map<string, NewEvent[]>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clock: Clock,
  ) {
    this.intervalStart = clock.now().toISOString();
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), DEMAND_FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Counts `error` as turned-away demand when it is a sold-out or insufficient-stock rejection; ignores anything else. */
  recordRejection(dropId: string, sku: string, units: number, error: unknown): void {
    if (!(error instanceof DomainError)) return;
    const reason = REASONS[error.code];
    if (reason) this.record(dropId, sku, reason, units);
  }

  /** Adds one turned-away request of `units` units. O(1), no IO. */
  record(dropId: string, sku: string, reason: Reason, units: number): void {
    this.add({ dropId, sku, reason, units, requests: 1 });
  }

  private add(more: Count): void {
    const key = `${more.dropId}\n${more.sku}\n${more.reason}`;
    const count = this.counts.get(key);
    if (count) {
      count.units += more.units;
      count.requests += more.requests;
      if (more.since !== undefined && (count.since === undefined || more.since < count.since)) count.since = more.since;
    } else {
      this.counts.set(key, { ...more });
    }
  }

  /** Appends everything counted so far, one append per drop. Flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    if (this.counts.size === 0 && this.unconfirmed.size === 0) {
      // An idle interval ends too: the next one covers only the time its counts were made in.
      this.intervalStart = this.clock.now().toISOString();
      return;
    }
    const counts = this.counts;
    this.counts = new Map();
    const intervalStart = this.intervalStart;
    const intervalEnd = this.clock.now().toISOString();
    this.intervalStart = intervalEnd;
    const byDrop = new Map<string, Count[]>();
    for (const count of counts.values()) byDrop.set(count.dropId, [...(byDrop.get(count.dropId) ?? []), count]);
    const drops = new Set([...this.unconfirmed.keys(), ...byDrop.keys()]);
    await Promise.all([...drops].map((dropId) => this.flushDrop(dropId, byDrop.get(dropId) ?? [], intervalStart, intervalEnd)));
  }

  private async flushDrop(dropId: string, list: Count[], intervalStart: string, intervalEnd: string): Promise<void> {
    const earlier = this.unconfirmed.get(dropId);
    if (earlier) {
      try {
        await this.appendOnce(dropId, earlier, true);
        this.unconfirmed.delete(dropId);
      } catch (e) {
        this.logger.warn(`could not store earlier turned-away demand of drop ${dropId}, will check and retry: ${message(e)}`);
        // New counts wait behind it, still covering the interval they were counted in.
        for (const c of list) this.add({ ...c, since: c.since ?? intervalStart });
        return;
      }
    }
    if (list.length === 0) return;
    const context = systemContext('demand-recorder', this.clock);
    const events = list.map((c) =>
      toNewEvent(
        {
          type: 'DemandTurnedAway',
          data: {
            dropId,
            sku: c.sku,
            units: c.units,
            requests: c.requests,
            reason: c.reason,
            intervalStart: c.since ?? intervalStart,
            intervalEnd,
          },
        } satisfies DemandTurnedAway,
        context,
        dropEventSchema,
      ),
    );
    // From the first attempt on, an error leaves the outcome unknown: keep the events as they are.
    this.unconfirmed.set(dropId, events);
    try {
      await this.appendOnce(dropId, events, false);
      this.unconfirmed.delete(dropId);
    } catch (e) {
      this.logger.warn(`could not append turned-away demand of drop ${dropId}, will check and retry: ${message(e)}`);
    }
  }

  /**
   * Appends `events` to the drop's demand stream at its current revision, unless they are there
   * already (`mayBeStored`: an earlier attempt of these very events failed without saying).
   */
  private async appendOnce(dropId: string, events: NewEvent[], mayBeStored: boolean): Promise<void> {
    const stream = demandStreamName(dropId);
    const ids = new Set(events.map((e) => e.eventId));
    let check = mayBeStored;
    for (let conflicts = 0; ; conflicts++) {
      let revision = this.revisions.get(dropId);
      if (check) {
        // Everything after the revision the earlier attempt was made at: are the events there?
        const after = await this.store.readStream(stream, { fromRevision: (revision ?? -1) + 1 });
        revision = after.at(-1)?.revision ?? revision ?? -1;
        this.revisions.set(dropId, revision);
        if (after.some((e) => ids.has(e.eventId))) return;
      } else if (revision === undefined) {
        revision = (await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0]?.revision ?? -1;
        this.revisions.set(dropId, revision);
      }
      try {
        const result = await this.store.appendToStream(stream, events, revision);
        this.revisions.set(dropId, result.nextExpectedRevision);
        return;
      } catch (e) {
        if (!(e instanceof WrongExpectedRevisionError) || conflicts + 1 >= MAX_CONFLICTS) throw e;
        // Another engine appended first. Nothing of this attempt was stored; an earlier one may have been.
        if (!mayBeStored) this.revisions.delete(dropId);
        check = mayBeStored;
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    for (const dropId of this.unconfirmed.keys())
      this.logger.warn(`turned-away demand of drop ${dropId} may not have been stored (its last append failed)`);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
