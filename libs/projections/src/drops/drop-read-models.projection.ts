import type { RecordedEvent } from '@dropline/event-store';
import type { PageContext, Projection } from '../projection';
import { applyDropPage } from './drop-read-models.executor';
import {
  DROP_SUMMARY_EVENT_TYPES,
  INVENTORY_EVENT_TYPES,
  PRE_ORDER_EVENT_TYPES,
  PRODUCTION_RUN_EVENT_TYPES,
  RESTOCK_THRESHOLD_EVENT_TYPES,
  RETURNS_BY_REASON_EVENT_TYPES,
} from './read-models';

/** The drop events this projection folds: the union of its read models' (payment facts and sold-out markers change none of its rows). */
export const DROP_READ_MODEL_EVENT_TYPES = [
  ...new Set([
    ...DROP_SUMMARY_EVENT_TYPES,
    ...INVENTORY_EVENT_TYPES,
    ...PRE_ORDER_EVENT_TYPES,
    ...PRODUCTION_RUN_EVENT_TYPES,
    ...RETURNS_BY_REASON_EVENT_TYPES,
    ...RESTOCK_THRESHOLD_EVENT_TYPES,
  ]),
] as readonly (typeof DROP_SUMMARY_EVENT_TYPES)[number][];

export const DROP_READ_MODEL_TABLES = [
  'rm_drop_summary',
  'rm_inventory',
  'rm_customer_pre_orders',
  'rm_production_runs',
  'rm_returns_by_reason',
  'rm_restock_thresholds',
] as const;

export interface DropReadModelsOptions {
  /** Service level of the restock thresholds (probability of no stock-out during the lead time). */
  serviceLevel?: number;
}

/**
 * Every read model of a drop in one projection: one pass over the log and one transaction per
 * page for the summary, inventory, pre-orders by customer, production runs, returns by reason
 * and restock thresholds. Each read model is its own module (./read-models: a row, its event
 * types and a pure evolve); the batching executor (./drop-read-models.executor) runs them over
 * a page. All of a drop's events live in its one stream, so the drop's summary row carries the
 * last applied stream revision and guards every row of the drop against a redelivered event.
 */
export class DropReadModelsProjection implements Projection {
  readonly name = 'drops';
  readonly version = 1;
  readonly eventTypes = DROP_READ_MODEL_EVENT_TYPES;
  readonly streamPrefixes = ['drop-'];
  readonly tables = DROP_READ_MODEL_TABLES;
  private readonly serviceLevel: number;

  constructor(options: DropReadModelsOptions = {}) {
    this.serviceLevel = options.serviceLevel ?? 0.95;
  }

  applyPage(events: readonly RecordedEvent[], context: PageContext): Promise<void> {
    return applyDropPage(events, context, this.serviceLevel);
  }
}
