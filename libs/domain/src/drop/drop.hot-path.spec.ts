// The hot path: 100 000+ PlacePreOrder decided one after another against one cached state.
import { DomainError } from '../decider';
import { aDefinition, customerActor, DROP_ID, M, openCmd, place, scheduleCmd } from '../testing/drop.fixtures';
import { eventsOf } from '../testing/given-when-then';
import { decide, evolve, foldDrop } from './drop.decider';
import type { DropState } from './drop.state';

const hotDrop = (cap: number) =>
  foldDrop(
    eventsOf(
      scheduleCmd(
        aDefinition({ variants: [{ sku: M, size: 'M', colour: 'navy', editionCap: cap }], minimumOrderQuantity: 1, perCustomerLimit: 4 }),
      ),
      openCmd(),
    ),
  );

/** Decides and evolves `count` pre-orders of distinct customers; returns ms per 10 000 commands. */
function run(state: DropState, from: number, count: number): { state: DropState; accepted: number; rejected: number; msPer10k: number[] } {
  let accepted = 0;
  let rejected = 0;
  const msPer10k: number[] = [];
  let started = process.hrtime.bigint();
  for (let i = from; i < from + count; i++) {
    try {
      for (const event of decide(place(i, { quantity: 1 + (i % 3) }), state)) state = evolve(state, event);
      accepted++;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      rejected++;
    }
    if ((i - from + 1) % 10_000 === 0) {
      const now = process.hrtime.bigint();
      msPer10k.push(Number(now - started) / 1e6);
      started = now;
    }
  }
  return { state, accepted, rejected, msPer10k };
}

describe('PlacePreOrder hot path', () => {
  it('evolve(PreOrderPlaced) mutates the shared collections instead of copying them', () => {
    const state = hotDrop(100);
    const [event] = decide(place(1), state);
    const next = evolve(state, event);
    expect(next).toBe(state);
    if (next.status === 'initial') throw new Error('unreachable');
    expect(next.preOrders.size).toBe(1);
  });

  it('decides 120 000 commands in constant time per command', () => {
    // Cap 150 000 units with 1–3 units per order: about 75 000 accepted, the rest SOLD_OUT/INSUFFICIENT_STOCK.
    const result = run(hotDrop(150_000), 1, 120_000);
    expect(result.accepted + result.rejected).toBe(120_000);
    expect(result.accepted).toBeGreaterThan(70_000);
    expect(result.rejected).toBeGreaterThan(0);
    if (result.state.status === 'initial') throw new Error('unreachable');
    expect(result.state.netUnits).toBe(150_000);
    expect(result.state.preOrders.size).toBe(result.accepted);

    // O(n) per command would make the last 10 000 many times slower than the second 10 000
    // (the first includes JIT warm-up). The bound is loose on purpose: CI machines are noisy.
    // The median of the last three chunks ignores one unlucky GC pause.
    const [, second, ...rest] = result.msPer10k;
    const lastThree = rest.slice(-3).sort((a, b) => a - b);
    expect(lastThree[1]).toBeLessThan(Math.max(second * 5, 100));
    // And in absolute terms (about 1 s on a laptop, mostly JIT warm-up and exceptions).
    expect(result.msPer10k.reduce((a, b) => a + b, 0)).toBeLessThan(10_000);
  });

  it('keeps counters exact across a long run with cancellations', () => {
    let state = hotDrop(1_000);
    for (let i = 1; i <= 400; i++) for (const event of decide(place(i, { quantity: 2 }), state)) state = evolve(state, event);
    for (let i = 1; i <= 400; i += 2) {
      const cancel = {
        type: 'CancelPreOrder' as const,
        dropId: DROP_ID,
        preOrderId: `${DROP_ID}.po.${i}`,
        now: '2026-12-03T10:00:00Z',
        actor: customerActor(i),
      };
      for (const event of decide(cancel, state)) state = evolve(state, event);
    }
    if (state.status === 'initial') throw new Error('unreachable');
    expect(state.unitsSold).toBe(800);
    expect(state.netUnits).toBe(400);
    expect(state.skus.get(M)).toEqual({ sku: M, cap: 1_000, accepted: 800, net: 400, reservedLater: 0, allocationLeft: undefined });
    expect(state.activePreOrders).toBe(200);
  });
});
