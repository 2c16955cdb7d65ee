// The allocation rule of a production run, and ProductionRunCompleted v1 (id lists) read as v2 (counts).
import { upcast } from '../events/upcasting';
import { aDefinition, closeCmd, DROP_ID, L, M, openCmd, place, scheduleCmd } from '../testing/drop.fixtures';
import { eventsOf } from '../testing/given-when-then';
import { allocateRun } from './drop.allocation';
import type { DropCommand } from './drop.commands';
import { foldDrop } from './drop.decider';
import type { DropEvent, ProductionRunCompleted, ProductionRunCompletedV1Data } from './drop.events';
import { EVENT_SCHEMA_VERSIONS } from './drop.events';

const po = (n: number) => `${DROP_ID}.po.${n}`;
const RUN1 = `${DROP_ID}.run.1`;
const RUN2 = `${DROP_ID}.run.2`;
const T_DONE = '2026-12-24T16:00:00Z';

describe('allocateRun', () => {
  const w = (id: string, sku: string, quantity: number) => ({ id, sku, quantity });

  it('covers per SKU in the given order until the first pre-order that does not fit, which blocks its SKU only', () => {
    const waiting = [w('a', 'M', 2), w('b', 'L', 1), w('c', 'M', 3), w('d', 'M', 1), w('e', 'L', 1), w('f', 'X', 1)];
    const allocation = allocateRun({ M: 4, L: 1 }, waiting);
    expect(allocation.covered.map((p) => p.id)).toEqual(['a', 'b']);
    // d (1 unit) would fit in the 2 M left, but c is ahead of it; X has no good units at all.
    expect(allocation.uncovered.map((p) => p.id)).toEqual(['c', 'd', 'e', 'f']);
    expect(allocation.surplusBySku).toEqual({ M: 2, L: 0 });
  });

  it('equals the running-sum rule a SQL reader uses: covered when the running sum of its SKU is at most the good units', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 50; round++) {
      const waiting = Array.from({ length: 40 }, (_, i) => w(`p${i}`, rnd() < 0.5 ? 'M' : 'L', 1 + Math.floor(rnd() * 3)));
      const good = { M: Math.floor(rnd() * 40), L: Math.floor(rnd() * 40) };
      const running = new Map<string, number>();
      const bySum = waiting.filter((p) => {
        const sum = (running.get(p.sku) ?? 0) + p.quantity;
        running.set(p.sku, sum);
        return sum <= good[p.sku as 'M' | 'L'];
      });
      expect(allocateRun(good, waiting).covered).toEqual(bySum);
    }
  });
});

describe('ProductionRunCompleted v1 → v2', () => {
  const start = (runId: string): DropCommand => ({ type: 'StartProductionRun', dropId: DROP_ID, runId, now: '2026-12-10T08:00:00Z' });
  const complete = (runId: string, producedBySku: Record<string, number>): DropCommand => ({
    type: 'CompleteProductionRun',
    dropId: DROP_ID,
    runId,
    producedBySku,
    rejectedBySku: {},
    now: T_DONE,
  });
  const refund = (n: number): DropCommand => ({
    type: 'RequestRefund',
    dropId: DROP_ID,
    preOrderId: po(n),
    reason: 'changed mind',
    now: T_DONE,
  });
  const requestRun = (unitsBySku: Record<string, number>): DropCommand => ({
    type: 'RequestProductionRun',
    dropId: DROP_ID,
    runId: RUN2,
    unitsBySku,
    now: T_DONE,
  });

  // M: #1 ×2, #2 ×1, #3 ×3, #5 ×1, #6 ×2; L: #4 ×1. Run 1 makes 4 M and 1 L: #1 and #2 fit, #3 blocks M.
  // Then #5 asks for a refund; run 2 makes 5 M: #3 and #6 (and never #5).
  const history = (): DropEvent[] =>
    eventsOf(
      scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })),
      openCmd(),
      place(1, { quantity: 2 }),
      place(2),
      place(3, { quantity: 3 }),
      place(4, { sku: L }),
      place(5),
      place(6, { quantity: 2 }),
      closeCmd(),
      start(RUN1),
      complete(RUN1, { [M]: 4, [L]: 1 }),
      refund(5),
      requestRun({ [M]: 5 }),
      start(RUN2),
      complete(RUN2, { [M]: 5 }),
    );

  /** What the v1 decider wrote for these two runs (the lists of the old drop.after-close tests' rule). */
  const V1_LISTS: Record<string, Pick<ProductionRunCompletedV1Data, 'coveredPreOrderIds' | 'uncoveredPreOrderIds'>> = {
    [RUN1]: { coveredPreOrderIds: [po(1), po(2), po(4)], uncoveredPreOrderIds: [po(3), po(5), po(6)] },
    [RUN2]: { coveredPreOrderIds: [po(3), po(6)], uncoveredPreOrderIds: [] },
  };

  /** The stored v1 payload of a v2 event: the same facts with the id lists instead of the counts. */
  function asStoredV1(event: ProductionRunCompleted): Record<string, unknown> {
    const { coveredPreOrderCount, uncoveredPreOrderCount, ...rest } = event.data;
    void coveredPreOrderCount;
    void uncoveredPreOrderCount;
    return { ...rest, ...V1_LISTS[event.data.runId] };
  }

  it('is schema version 2, written without ids', () => {
    expect(EVENT_SCHEMA_VERSIONS.ProductionRunCompleted).toBe(2);
    const completions = history().filter((e): e is ProductionRunCompleted => e.type === 'ProductionRunCompleted');
    expect(completions.map((e) => [e.data.coveredPreOrderCount, e.data.uncoveredPreOrderCount])).toEqual([
      [3, 3],
      [2, 0],
    ]);
    for (const e of completions) expect(JSON.stringify(e.data)).not.toContain('.po.');
  });

  it('upcasts the id lists to counts and leaves every other field as stored', () => {
    const [first] = history().filter((e): e is ProductionRunCompleted => e.type === 'ProductionRunCompleted');
    expect(upcast('ProductionRunCompleted', 1, asStoredV1(first))).toEqual(first.data);
    expect(() => upcast('ProductionRunCompleted', 1, { dropId: DROP_ID, runId: RUN1 })).toThrow(/must list coveredPreOrderIds/);
  });

  it('a stream stored with v1 events folds to the same state as the same stream with v2 events', () => {
    const v2 = history();
    const v1Read = v2.map((e) =>
      e.type === 'ProductionRunCompleted'
        ? ({ type: e.type, data: upcast(e.type, 1, asStoredV1(e)) } as DropEvent)
        : ({ type: e.type, data: upcast(e.type, EVENT_SCHEMA_VERSIONS[e.type], e.data as Record<string, unknown>) } as DropEvent),
    );
    const fromV1 = foldDrop(v1Read);
    const fromV2 = foldDrop(v2);
    expect(fromV1).toEqual(fromV2);
    if (fromV2.status === 'initial') throw new Error('unreachable');
    const coveredBy = Object.fromEntries(fromV2.acceptance.map((p) => [p.preOrderId, p.coveredByRunId ?? null]));
    expect(coveredBy).toEqual({ [po(1)]: RUN1, [po(2)]: RUN1, [po(3)]: RUN2, [po(4)]: RUN1, [po(5)]: null, [po(6)]: RUN2 });
    expect([...fromV2.runs.values()].map((r) => r.coveredPreOrders)).toEqual([3, 2]);
  });
});
