import type { DropCore, PreOrderRecord } from './drop.state';

/** What the allocation reads of a pre-order. */
export interface AllocationCandidate {
  sku: string;
  quantity: number;
}

/** Which of the waiting pre-orders a run covers, and the good units left over. */
export interface RunAllocation<P> {
  /** In acceptance order. */
  covered: P[];
  /** In acceptance order: every waiting pre-order the run did not cover. */
  uncovered: P[];
  /** Good units per SKU of `goodBySku` allocated to nobody. */
  surplusBySku: Record<string, number>;
}

/**
 * The allocation rule of a completed production run: the one place it is written down. Every
 * reader of ProductionRunCompleted (the decider's evolve, consumers such as fulfillment) applies
 * it to the pre-orders it knows instead of reading id lists from the event, which would grow
 * with the drop.
 *
 * `waiting` must be the pre-orders still waiting for goods (`isWaitingForGoods`: active, not
 * covered by an earlier run, no refund requested) in acceptance order. Per SKU, strictly in that
 * order: a pre-order is covered while the SKU's good units left cover its whole quantity; the
 * first one that does not fit blocks its SKU, so every later pre-order of that SKU stays
 * uncovered even if a smaller one would fit (nobody jumps the queue). Equivalently, a pre-order
 * is covered when the running sum of the waiting quantities of its SKU, up to and including it,
 * is at most the SKU's good units, which a SQL reader can compute with a window function.
 */
export function allocateRun<P extends AllocationCandidate>(
  goodBySku: Readonly<Record<string, number>>,
  waiting: Iterable<P>,
): RunAllocation<P> {
  const remaining = new Map(Object.entries(goodBySku));
  const blocked = new Set<string>();
  const covered: P[] = [];
  const uncovered: P[] = [];
  for (const preOrder of waiting) {
    const left = remaining.get(preOrder.sku) ?? 0;
    if (!blocked.has(preOrder.sku) && left >= preOrder.quantity) {
      remaining.set(preOrder.sku, left - preOrder.quantity);
      covered.push(preOrder);
    } else {
      blocked.add(preOrder.sku);
      uncovered.push(preOrder);
    }
  }
  return { covered, uncovered, surplusBySku: Object.fromEntries(remaining) };
}

/** True while a pre-order waits for goods: active, not covered by a run, no refund requested. */
export function isWaitingForGoods(preOrder: PreOrderRecord): boolean {
  return preOrder.status === 'active' && preOrder.coveredByRunId === undefined && !preOrder.refundRequested;
}

/** The pre-orders of a drop waiting for goods, in acceptance order. O(pre-orders). */
export function* waitingForGoods(state: Pick<DropCore, 'acceptance'>): Iterable<PreOrderRecord> {
  for (const preOrder of state.acceptance) if (isWaitingForGoods(preOrder)) yield preOrder;
}
