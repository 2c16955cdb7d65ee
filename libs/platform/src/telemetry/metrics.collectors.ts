import { Supervisor } from '@dropline/runtime';
import type { EventStore } from '@dropline/event-store';
import type { LeaseStatus } from '../infrastructure/lease-factory';
import type { Metrics } from './metrics';

/**
 * Scrape-time figures of every supervisor started over `store` in this process (projections,
 * relay, consumers, scheduler, reactors): state, stall, restarts, checkpoint position and lag
 * (measured now, only where this instance runs the processor). Nothing in their loops is
 * instrumented; the supervisor's own status is read.
 */
export function supervisorCollector(metrics: Metrics, store: EventStore): () => Promise<void> {
  return async () => {
    const rows = await Promise.all(
      Supervisor.over(store).flatMap((supervisor) =>
        supervisor.status().map(async (status) => ({
          status,
          holds: supervisor.holds(status.name),
          lag: status.kind === 'processor' ? await supervisor.lag(status.name).catch(() => undefined) : undefined,
        })),
      ),
    );
    const { processorUp, processorState, processorStalled, processorPosition, processorLagEvents, processorLagSeconds, processorRestarts } =
      metrics;
    for (const family of [
      processorUp,
      processorState,
      processorStalled,
      processorPosition,
      processorLagEvents,
      processorLagSeconds,
      processorRestarts,
    ])
      family.reset();
    for (const { status, holds, lag } of rows) {
      const name = status.name;
      processorUp.labels(name).set(holds ? 1 : 0);
      processorState.labels(name, status.state).set(1);
      processorStalled.labels(name).set(status.state === 'stalled' ? 1 : 0);
      processorRestarts.labels(name).inc(status.restarts);
      const position = positionValue(status.checkpoint);
      if (position !== undefined) processorPosition.labels(name).set(position);
      if (lag) {
        processorLagSeconds.labels(name).set(lag.lagSeconds);
        if (lag.lagEvents !== null) processorLagEvents.labels(name).set(lag.lagEvents);
      }
    }
  };
}

/**
 * A checkpoint as a number for the position gauge: the global position of a PostgreSQL/PGlite
 * position (`<xid>:<global>`), the commit position of an EventStoreDB one (`<commit>/<prepare>`).
 * Positions stay opaque everywhere else; a gauge only needs something that grows with the log.
 */
export function positionValue(checkpoint: string | undefined): number | undefined {
  if (checkpoint === undefined) return undefined;
  const match = /^\d+:(\d+)$/.exec(checkpoint) ?? /^(\d+)\/\d+$/.exec(checkpoint) ?? /^(\d+)$/.exec(checkpoint);
  return match ? Number(match[1]) : undefined;
}

/** Scrape-time holder state of every lease this process created (LeaseFactory.status()). */
export function leaseCollector(metrics: Metrics, leases: () => LeaseStatus[]): () => void {
  return () => {
    metrics.leaseHeld.reset();
    for (const lease of leases()) metrics.leaseHeld.labels(lease.name, lease.store).set(lease.held ? 1 : 0);
  };
}

/**
 * Scrape-time count of each consumer's waiting dead letters (`dropline_dead_letters_waiting`):
 * the counter of dead-lettered messages says when some arrived, this says that some are still not
 * dealt with, however long ago they came. A consumer whose database does not answer keeps its last value.
 */
export function deadLetterCollector(
  metrics: Metrics,
  ledgers: () => ReadonlyArray<{ readonly name: string; waiting(): Promise<number> }>,
): () => Promise<void> {
  return async () => {
    await Promise.all(
      ledgers().map(async (ledger) => {
        const waiting = await ledger.waiting().catch(() => undefined);
        if (waiting !== undefined) metrics.deadLettersWaiting.labels(ledger.name).set(waiting);
      }),
    );
  };
}
