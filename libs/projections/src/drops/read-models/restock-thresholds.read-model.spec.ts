import { DAY_MS, reorderPoint } from '@dropline/domain';
import { DEFINITION, fact, PHASED_DEFINITION, placed } from '../../testing/read-model-facts';
import { evolveInventory, InventoryRow } from './inventory.read-model';
import { evolveRestockThreshold, RestockThresholdRow, ThresholdInput } from './restock-thresholds.read-model';

describe('restock thresholds read model', () => {
  const closesAtMs = Date.parse(DEFINITION.window.closesAt);
  const input = (f: ReturnType<typeof fact>, inventory: InventoryRow | null): ThresholdInput => ({
    ...f,
    inventory: inventory ?? undefined,
    closesAtMs,
    serviceLevel: 0.95,
  });

  it('recomputes the reorder point over the elapsed window and counts a crossing once, when available drops to it', () => {
    const scheduled = fact(
      { type: 'DropScheduled', data: { dropId: 'u1', definition: DEFINITION, scheduledAt: 'x' } },
      '2026-12-20T00:00:00.000Z',
    );
    let inv = evolveInventory(null, scheduled, 'TEE-M');
    let t: RestockThresholdRow | null = evolveRestockThreshold(null, input(scheduled, inv), 'TEE-M');
    expect(t).toMatchObject({ available: 10, aboveReorderPoint: true, crossings: 0, windowEnd: null, leadTimeDays: 5 });
    // Two sales on day 1 and day 2 of the window (it opens 2027-01-01T10:00Z): 3 + 4 units.
    for (const [id, q, at] of [
      ['p1', 3, '2027-01-01T12:00:00.000Z'],
      ['p2', 4, '2027-01-02T12:00:00.000Z'],
    ] as const) {
      const f = fact(placed(id, 'TEE-M', q, at), at);
      inv = evolveInventory(inv, f, 'TEE-M');
      t = evolveRestockThreshold(t, input(f, inv), 'TEE-M');
    }
    const expected = reorderPoint({ dailyUnits: [3, 4], leadTimeDays: 5, serviceLevel: 0.95 });
    expect(t!.reorderPoint).toBeCloseTo(expected.reorderPoint, 12);
    expect(t!.dailySales).toEqual({
      [String(Math.floor(Date.parse('2027-01-01T12:00:00.000Z') / DAY_MS))]: 3,
      [String(Math.floor(Date.parse('2027-01-02T12:00:00.000Z') / DAY_MS))]: 4,
    });
    // The first sale already took available (7) to at or below ROP (3 a day × 5 days = 15): one
    // crossing, then; the second stays below it and counts none.
    expect(t).toMatchObject({ available: 3, aboveReorderPoint: false, crossings: 1, lastCrossingAt: '2027-01-01T12:00:00.000Z' });
    // Staying below counts nothing more; an event of another SKU leaves this row as it is.
    const other = fact(placed('p3', 'TEE-L', 1, '2027-01-02T13:00:00.000Z'), '2027-01-02T13:00:00.000Z');
    const same = evolveRestockThreshold(t, input(other, inv), 'TEE-M');
    expect(same).toBe(t);
  });

  it('is a function of its arguments: the same facts from the same row give the same row, whatever came between', () => {
    const scheduled = fact(
      { type: 'DropScheduled', data: { dropId: 'u1', definition: DEFINITION, scheduledAt: 'x' } },
      '2026-12-20T00:00:00.000Z',
    );
    const sales = [
      fact(placed('p1', 'TEE-M', 2, '2027-01-01T12:00:00.000Z'), '2027-01-01T12:00:00.000Z'),
      fact(placed('p2', 'TEE-L', 1, '2027-01-03T12:00:00.000Z'), '2027-01-03T12:00:00.000Z'),
      fact(placed('p3', 'TEE-M', 5, '2027-01-05T12:00:00.000Z'), '2027-01-05T12:00:00.000Z'),
    ];
    const fold = () => {
      let inv = evolveInventory(null, scheduled, 'TEE-M');
      let t = evolveRestockThreshold(null, input(scheduled, inv), 'TEE-M');
      for (const f of sales) {
        inv = evolveInventory(inv, f, 'TEE-M');
        t = evolveRestockThreshold(t, input(f, inv), 'TEE-M');
      }
      return t;
    };
    const once = fold();
    expect(fold()).toEqual(once);
    // A row stored and read back (JSON, as the reactor keeps it) evolves the same as the one in memory.
    let inv = evolveInventory(null, scheduled, 'TEE-M');
    let t = evolveRestockThreshold(null, input(scheduled, inv), 'TEE-M');
    for (const f of sales) {
      inv = JSON.parse(JSON.stringify(evolveInventory(inv, f, 'TEE-M'))) as InventoryRow;
      t = JSON.parse(JSON.stringify(evolveRestockThreshold(t, input(f, inv), 'TEE-M'))) as RestockThresholdRow;
    }
    expect(t).toEqual(once);
  });

  it('a revision that stops listing the SKU deletes its row', () => {
    const revised = fact({
      type: 'DropRevised',
      data: { dropId: 'u1', definition: { ...DEFINITION, variants: [DEFINITION.variants[0]] }, revisedAt: 'x' },
    });
    const scheduled = fact({ type: 'DropScheduled', data: { dropId: 'u1', definition: DEFINITION, scheduledAt: 'x' } });
    const t = evolveRestockThreshold(null, input(scheduled, evolveInventory(null, scheduled, 'TEE-L')), 'TEE-L');
    expect(evolveRestockThreshold(t, input(revised, null), 'TEE-L')).toBeNull();
  });
  it('starts the demand window at the first access phase: the first of `phases`, the earlyAccess shorthand, or the window', () => {
    const windowStartOf = (definition: typeof DEFINITION) => {
      const f = fact({ type: 'DropScheduled', data: { dropId: 'u1', definition, scheduledAt: 'x' } }, '2026-12-20T00:00:00.000Z');
      return evolveRestockThreshold(null, input(f, evolveInventory(null, f, 'TEE-M')), 'TEE-M')!.windowStart;
    };
    expect(windowStartOf(PHASED_DEFINITION)).toBe('2026-12-29T10:00:00.000Z');
    expect(windowStartOf({ ...DEFINITION, earlyAccess: { opensAt: '2026-12-30T10:00:00.000Z', audience: 'repeat-customers' } })).toBe(
      '2026-12-30T10:00:00.000Z',
    );
    expect(windowStartOf(DEFINITION)).toBe(DEFINITION.window.opensAt);
    // A sale in the members phase, two days before the public window, is a day of the series.
    const scheduled = fact(
      { type: 'DropScheduled', data: { dropId: 'u1', definition: PHASED_DEFINITION, scheduledAt: 'x' } },
      '2026-12-20T00:00:00.000Z',
    );
    let inv = evolveInventory(null, scheduled, 'TEE-M');
    let t = evolveRestockThreshold(null, input(scheduled, inv), 'TEE-M');
    const sale = fact(placed('p1', 'TEE-M', 2, '2026-12-29T12:00:00.000Z'), '2026-12-29T12:00:00.000Z');
    inv = evolveInventory(inv, sale, 'TEE-M');
    t = evolveRestockThreshold(t, input(sale, inv), 'TEE-M');
    expect(t!.dailyUnits).toEqual([2]);
  });

  it('starts the demand window when the drop actually opened, when ops opened it by hand before its opensAt', () => {
    // The README's walkthrough: a window defined for later, opened now with POST /drops/:id/open.
    const scheduled = fact(
      { type: 'DropScheduled', data: { dropId: 'u1', definition: DEFINITION, scheduledAt: 'x' } },
      '2026-12-20T00:00:00.000Z',
    );
    let inv = evolveInventory(null, scheduled, 'TEE-M');
    let t = evolveRestockThreshold(null, input(scheduled, inv), 'TEE-M');
    const events = [
      fact({ type: 'PreOrderWindowOpened', data: { dropId: 'u1', openedAt: '2026-12-30T09:00:00.000Z' } }, '2026-12-30T09:00:00.000Z'),
      fact(placed('p1', 'TEE-M', 2, '2026-12-30T12:00:00.000Z'), '2026-12-30T12:00:00.000Z'),
      fact(placed('p2', 'TEE-M', 1, '2027-01-01T12:00:00.000Z'), '2027-01-01T12:00:00.000Z'),
    ];
    for (const f of events) {
      inv = evolveInventory(inv, f, 'TEE-M');
      t = evolveRestockThreshold(t, input(f, inv), 'TEE-M');
    }
    expect(t!.windowStart).toBe('2026-12-30T09:00:00.000Z');
    // Dec 30, Dec 31, Jan 1: the sales before the defined opensAt (Jan 1 10:00) are days of the series.
    expect(t!.dailyUnits).toEqual([2, 0, 1]);
    expect(t!.reorderPoint).toBeCloseTo(reorderPoint({ dailyUnits: [2, 0, 1], leadTimeDays: 5, serviceLevel: 0.95 }).reorderPoint, 12);
    // The scheduler's opening, at the defined opensAt, moves nothing.
    const onTime = fact(
      { type: 'PreOrderWindowOpened', data: { dropId: 'u1', openedAt: DEFINITION.window.opensAt } },
      DEFINITION.window.opensAt,
    );
    const inv1 = evolveInventory(null, scheduled, 'TEE-M');
    const t1 = evolveRestockThreshold(evolveRestockThreshold(null, input(scheduled, inv1), 'TEE-M'), input(onTime, inv1), 'TEE-M');
    expect(t1!.windowStart).toBe(DEFINITION.window.opensAt);
    // A phase opened by hand early starts it too (the phased drop's members phase opens Dec 29).
    const phased = fact(
      { type: 'DropScheduled', data: { dropId: 'u1', definition: PHASED_DEFINITION, scheduledAt: 'x' } },
      '2026-12-20T00:00:00.000Z',
    );
    const early = fact(
      {
        type: 'AccessPhaseOpened',
        data: {
          dropId: 'u1',
          phase: 'members',
          audience: 'members',
          opensAt: '2026-12-29T10:00:00.000Z',
          trigger: 'ops',
          rolledOver: {},
          openedAt: '2026-12-27T08:00:00.000Z',
        },
      },
      '2026-12-27T08:00:00.000Z',
    );
    const inv2 = evolveInventory(null, phased, 'TEE-M');
    const t2 = evolveRestockThreshold(evolveRestockThreshold(null, input(phased, inv2), 'TEE-M'), input(early, inv2), 'TEE-M');
    expect(t2!.windowStart).toBe('2026-12-27T08:00:00.000Z');
  });
});
