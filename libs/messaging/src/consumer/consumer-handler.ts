import type { DeliveredEvent } from '../cloud-events/cloud-event.codec';

/** What a consumer's handler may run inside the delivery transaction. */
export interface Queryable {
  query<R extends Record<string, any> = any>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
}

/**
 * The event can never be applied (a permanent domain rejection, e.g. production completed
 * for a pre-order this consumer never saw): it is dead-lettered and the consumer moves on.
 * Throw anything else for a failure that may pass (it is retried, never dead-lettered).
 */
export class PermanentRejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentRejection';
  }
}

/** A downstream service's reaction to drop events, applied effectively once by EffectivelyOnceConsumer. */
export interface ConsumerHandler {
  /** Consumer group id and the name of its database schema. */
  readonly name: string;
  /** Stored event types it applies; others are acknowledged and skipped. */
  readonly eventTypes: ReadonlySet<string>;
  /**
   * Creates the handler's tables in its schema (idempotent). DDL only, its results unused: it also
   * runs against a recorder, whose statements' digest lets a database already at them skip it
   * (migrateOnceUnlessApplied).
   */
  migrate(db: Queryable): Promise<void>;
  /** Applies one event inside the transaction that also records its ce_id. */
  apply(event: DeliveredEvent, tx: Queryable): Promise<void>;
  /**
   * Applies the events of a page, in log order, inside the one transaction that records their
   * ce_ids (the in-process feed's pages). Optional: a handler that can write a run of its hot
   * event in one statement does it here (applyInRuns); without it each event goes through `apply`.
   */
  applyAll?(events: readonly DeliveredEvent[], tx: Queryable): Promise<void>;
}

/**
 * An `applyAll` for a handler with one hot event type: each run of consecutive `type` events in
 * one call of `applyRun` (one multi-row statement instead of a round trip per event), every other
 * event through `apply`, in log order — so a later event of the page (a cancellation) still
 * finds the rows of the run before it.
 */
export function applyInRuns(
  type: string,
  applyRun: (run: readonly DeliveredEvent[], tx: Queryable) => Promise<void>,
  apply: (event: DeliveredEvent, tx: Queryable) => Promise<void>,
): NonNullable<ConsumerHandler['applyAll']> {
  return async (events, tx) => {
    let run: DeliveredEvent[] = [];
    for (const event of events) {
      if (event.type === type) {
        run.push(event);
        continue;
      }
      if (run.length > 0) await applyRun(run, tx);
      run = [];
      await apply(event, tx);
    }
    if (run.length > 0) await applyRun(run, tx);
  };
}
