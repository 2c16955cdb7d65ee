import type { RecordedEvent } from '@dropline/event-store';
import type { PageContext } from '../projection';
import { RowSet } from '../row-set';
import { DropFact, factOf, parseInstant } from './read-models/drop-fact';
import { appliesTo, DropSummaryRow, evolveDropSummary, SUMMARY_COLUMNS, summaryFromDb } from './read-models/drop-summary.read-model';
import { evolveInventory, INVENTORY_COLUMNS, inventoryFromDb, inventorySkusOf, InventoryRow } from './read-models/inventory.read-model';
import {
  evolvePreOrder,
  PRE_ORDER_COLUMNS,
  preOrderFromDb,
  preOrderKeyOf,
  PreOrderRow,
} from './read-models/customer-pre-orders.read-model';
import { evolveProductionRun, ProductionRunRow, RUN_COLUMNS, runFromDb, runKeyOf } from './read-models/production-runs.read-model';
import {
  evolveReturnsByReason,
  REASON_COLUMNS,
  reasonFromDb,
  returnReasonOf,
  ReturnsByReasonRow,
} from './read-models/returns-by-reason.read-model';
import {
  evolveRestockThreshold,
  RestockThresholdRow,
  THRESHOLD_COLUMNS,
  thresholdFromDb,
  ThresholdInput,
  thresholdSkusOf,
} from './read-models/restock-thresholds.read-model';

/** The tables of the six read models, as the executor reads and writes them. */
export const DROP_TABLE_SPECS = {
  summary: {
    table: 'rm_drop_summary',
    keys: ['drop_id'] as const,
    columns: SUMMARY_COLUMNS,
    fromDb: summaryFromDb,
    keyOf: (r: DropSummaryRow): [string] => [r.dropId],
  },
  inventory: {
    table: 'rm_inventory',
    keys: ['drop_id', 'sku'] as const,
    columns: INVENTORY_COLUMNS,
    fromDb: inventoryFromDb,
    keyOf: (r: InventoryRow): [string, string] => [r.dropId, r.sku],
  },
  preOrders: {
    table: 'rm_customer_pre_orders',
    keys: ['pre_order_id'] as const,
    columns: PRE_ORDER_COLUMNS,
    fromDb: preOrderFromDb,
    keyOf: (r: PreOrderRow): [string] => [r.preOrderId],
  },
  runs: {
    table: 'rm_production_runs',
    keys: ['run_id'] as const,
    columns: RUN_COLUMNS,
    fromDb: runFromDb,
    keyOf: (r: ProductionRunRow): [string] => [r.runId],
  },
  reasons: {
    table: 'rm_returns_by_reason',
    keys: ['drop_id', 'reason'] as const,
    columns: REASON_COLUMNS,
    fromDb: reasonFromDb,
    keyOf: (r: ReturnsByReasonRow): [string, string] => [r.dropId, r.reason],
  },
  thresholds: {
    table: 'rm_restock_thresholds',
    keys: ['drop_id', 'sku'] as const,
    columns: THRESHOLD_COLUMNS,
    fromDb: thresholdFromDb,
    keyOf: (r: RestockThresholdRow): [string, string] => [r.dropId, r.sku],
  },
} as const;

/**
 * The batching executor of the drop read models. Per page: the rows the page touches are loaded
 * per table in one query, every event is folded in memory through each read model's evolve (in
 * dependency order: the pre-order and run an event names are looked up before it, the summary,
 * inventory, returns, runs and pre-orders evolve, then the thresholds, which read the inventory
 * after the event), and each table is written in one multi-row delete and one upsert, all in the
 * page's transaction.
 */
export async function applyDropPage(events: readonly RecordedEvent[], context: PageContext, serviceLevel: number): Promise<void> {
  const facts: DropFact<PreOrderRow>[] = [];
  for (const e of events) {
    const fact = factOf(e);
    if (fact) facts.push(fact);
  }
  if (facts.length === 0) return;
  const summaries = new RowSet(DROP_TABLE_SPECS.summary);
  const inventory = new RowSet(DROP_TABLE_SPECS.inventory);
  const thresholds = new RowSet(DROP_TABLE_SPECS.thresholds);
  const reasons = new RowSet(DROP_TABLE_SPECS.reasons);
  const preOrders = new RowSet(DROP_TABLE_SPECS.preOrders);
  const runs = new RowSet(DROP_TABLE_SPECS.runs);

  const dropIds = [...new Set(facts.map((f) => f.dropId))];
  for (const rows of [summaries, inventory, thresholds, reasons]) await rows.load(context, 'drop_id', dropIds);
  // A pre-order (run) placed (requested) by an event this page will apply cannot have a row yet:
  // its drop's rows have not seen that revision. So only ids first met in a later event, or
  // created by an event the revision guard will skip, are loaded (in a rebuild, most rows
  // referenced in a page were created in it).
  const preOrderIds = new Set<string>();
  const runIds = new Set<string>();
  const createdHere = new Set<string>();
  for (const fact of facts) {
    const { type } = fact.event;
    const preOrderId = preOrderKeyOf(fact);
    const runId = runKeyOf(fact);
    if (type === 'PreOrderPlaced' || type === 'ProductionRunRequested') {
      const id = (type === 'PreOrderPlaced' ? preOrderId : runId)!;
      const summary = summaries.get(fact.dropId);
      if (!summary || fact.revision > summary.lastRevision) {
        createdHere.add(id);
        continue;
      }
    }
    if (preOrderId !== undefined && !createdHere.has(preOrderId)) preOrderIds.add(preOrderId);
    if (runId !== undefined && !createdHere.has(runId)) runIds.add(runId);
  }
  await preOrders.load(context, 'pre_order_id', [...preOrderIds]);
  await runs.load(context, 'run_id', [...runIds]);

  const input = { inventory: undefined, closesAtMs: 0, serviceLevel } as unknown as ThresholdInput;
  let closes = { iso: '', ms: 0 };
  for (const fact of facts) {
    const { dropId } = fact;
    const summary = summaries.get(dropId);
    if (!appliesTo(summary, fact)) continue;
    const preOrderId = preOrderKeyOf(fact);
    const runId = runKeyOf(fact);
    fact.preOrder = preOrderId === undefined ? undefined : preOrders.get(preOrderId);
    fact.runKnown = runId !== undefined && runs.has(runId);

    const nextSummary = evolveDropSummary(summary ?? null, fact)!;
    summaries.set(nextSummary, dropId);
    for (const sku of inventorySkusOf(fact, inventory.members(dropId)))
      inventory.set(evolveInventory(inventory.get(dropId, sku) ?? null, fact, sku), dropId, sku);
    const reason = returnReasonOf(fact);
    if (reason !== undefined) reasons.set(evolveReturnsByReason(reasons.get(dropId, reason) ?? null, fact, reason), dropId, reason);
    if (runId !== undefined) runs.set(evolveProductionRun(runs.get(runId) ?? null, fact), runId);
    if (preOrderId !== undefined) preOrders.set(evolvePreOrder(fact.preOrder ?? null, fact), preOrderId);

    input.dropId = dropId;
    input.revision = fact.revision;
    input.eventId = fact.eventId;
    input.correlationId = fact.correlationId;
    input.at = fact.at;
    input.atMs = fact.atMs;
    input.event = fact.event;
    input.preOrderId = fact.preOrderId;
    input.runId = fact.runId;
    input.preOrder = fact.preOrder;
    input.runKnown = fact.runKnown;
    if (closes.iso !== nextSummary.closesAt) closes = { iso: nextSummary.closesAt, ms: parseInstant(nextSummary.closesAt) };
    input.closesAtMs = closes.ms;
    for (const sku of thresholdSkusOf(fact, thresholds.members(dropId))) {
      input.inventory = inventory.get(dropId, sku);
      thresholds.set(evolveRestockThreshold(thresholds.get(dropId, sku) ?? null, input, sku), dropId, sku);
    }
  }
  for (const rows of [inventory, thresholds, summaries, reasons, preOrders, runs]) await rows.write(context);
}
