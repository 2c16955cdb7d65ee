import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DemandTurnedAway, demandStreamName, DomainError } from '@dropline/domain';
import { toNewEvent } from '@dropline/event-sourcing';
import type { EventStore } from '@dropline/event-store';
import { dropEventSchema } from '../drops/drop-writer';
import { Clock, EVENT_STORE, systemContext } from '@dropline/platform';

type Reason = DemandTurnedAway['data']['reason'];

/** Rejection codes that are demand the drop could not serve (not bad requests). */
const REASONS: Readonly<Record<string, Reason>> = { 'DROP.SOLD_OUT': 'sold-out', 'DROP.INSUFFICIENT_STOCK': 'insufficient-stock' };

/** How often counts are appended. One event per drop, SKU and reason per interval at most. */
export const DEMAND_FLUSH_INTERVAL_MS = 5_000;

interface Count {
  dropId: string;
  sku: string;
  reason: Reason;
  units: number;
  requests: number;
}

/**
 * Records demand the engine turned away, so analysts replaying a drop see demand beyond the cap
 * instead of silent zeros. On the pre-order path it only bumps an in-memory counter; a timer
 * appends the counts as DemandTurnedAway events to `demand-<dropId>` (expected revision `any`,
 * a stream of its own so it never contends with the drop's writer), and shutdown flushes the rest.
 *
 * Counts are per request: a customer retrying a sold-out SKU counts each time, which is what a
 * storefront would see too. A failed append keeps the counts for the next interval; counts of a
 * crash between two flushes are lost (at most one interval of turned-away demand).
 */
@Injectable()
export class DemandRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('DemandRecorder');
  private counts = new Map<string, Count>();
  private intervalStart: string;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

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
    if (this.counts.size === 0) return;
    const counts = this.counts;
    this.counts = new Map();
    const intervalStart = this.intervalStart;
    const intervalEnd = this.clock.now().toISOString();
    this.intervalStart = intervalEnd;
    const byDrop = new Map<string, Count[]>();
    for (const count of counts.values()) byDrop.set(count.dropId, [...(byDrop.get(count.dropId) ?? []), count]);
    const context = systemContext('demand-recorder', this.clock);
    await Promise.all(
      [...byDrop].map(async ([dropId, list]) => {
        const events = list.map((c) =>
          toNewEvent(
            {
              type: 'DemandTurnedAway',
              data: { dropId, sku: c.sku, units: c.units, requests: c.requests, reason: c.reason, intervalStart, intervalEnd },
            } satisfies DemandTurnedAway,
            context,
            dropEventSchema,
          ),
        );
        try {
          await this.store.appendToStream(demandStreamName(dropId), events, 'any');
        } catch (e) {
          // Keep the counts (under the older interval start) for the next flush.
          this.logger.warn(
            `could not append turned-away demand of drop ${dropId}, will retry: ${e instanceof Error ? e.message : String(e)}`,
          );
          for (const c of list) this.add(c);
          this.intervalStart = intervalStart;
        }
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
