import { randomUUID } from 'node:crypto';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_SCHEMA_VERSIONS, SalesChannel, VisitsRecorded, visitsStreamName } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';
import type { EventStore } from '@dropline/event-store';
import { Clock, EVENT_STORE } from '@dropline/platform';

type Visit = { visitorId: string; channel: SalesChannel; at: string };

interface Pending {
  visits: Visit[];
  context: CommandContext;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>;
  timer: NodeJS.Timeout;
}

/** Most visits in one VisitsRecorded event, and how long a batch waits for more. */
const MAX_VISITS_PER_EVENT = 2_000;
const LINGER_MS = 20;

/**
 * Stores visits as VisitsRecorded events in `visits-<dropId>`, off the pre-order hot path:
 * a separate stream (no contention with the drop's writer) appended with expected
 * revision `any`, and requests arriving within a few milliseconds share one append.
 */
@Injectable()
export class VisitsRecorder implements OnApplicationShutdown {
  private readonly pending = new Map<string, Pending>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly clock: Clock,
  ) {}

  /** Resolves once the visits are stored. */
  record(dropId: string, visits: Visit[], context: CommandContext): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(dropId);
      if (batch && batch.visits.length + visits.length > MAX_VISITS_PER_EVENT) {
        this.flush(dropId);
        batch = undefined;
      }
      if (!batch) {
        // The first request's trace and correlation id stand for the batch.
        batch = { visits: [], context, waiters: [], timer: setTimeout(() => this.flush(dropId), LINGER_MS) };
        this.pending.set(dropId, batch);
      }
      batch.visits.push(...visits);
      batch.waiters.push({ resolve, reject });
    });
  }

  private flush(dropId: string): void {
    const batch = this.pending.get(dropId);
    if (!batch) return;
    this.pending.delete(dropId);
    clearTimeout(batch.timer);
    const event: VisitsRecorded = {
      type: 'VisitsRecorded',
      data: { dropId, visits: batch.visits, recordedAt: this.clock.now().toISOString() },
    };
    this.store
      .appendToStream(
        visitsStreamName(dropId),
        [
          {
            eventId: randomUUID(),
            type: event.type,
            schemaVersion: EVENT_SCHEMA_VERSIONS.VisitsRecorded,
            data: event.data,
            metadata: {
              correlationId: batch.context.correlationId,
              causationId: batch.context.causationId,
              actor: batch.context.actor,
              occurredAt: event.data.recordedAt,
              traceparent: batch.context.traceparent,
            },
          },
        ],
        'any',
      )
      .then(
        () => batch.waiters.forEach((w) => w.resolve()),
        (e: unknown) => batch.waiters.forEach((w) => w.reject(e)),
      );
  }

  onApplicationShutdown(): void {
    for (const dropId of [...this.pending.keys()]) this.flush(dropId);
  }
}
