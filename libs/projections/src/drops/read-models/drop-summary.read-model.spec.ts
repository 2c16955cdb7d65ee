import { validateDropDefinition } from '@dropline/domain';
import type { DropEvent } from '@dropline/domain';
import { DEFINITION, fact, PHASED_DEFINITION, placed } from '../../testing/read-model-facts';
import { evolvePreOrder } from './customer-pre-orders.read-model';
import { appliesTo, evolveDropSummary } from './drop-summary.read-model';

describe('drop summary read model', () => {
  const scheduled = fact({
    type: 'DropScheduled',
    data: { dropId: 'u1', definition: DEFINITION, scheduledAt: '2026-12-20T00:00:00.000Z' },
  });

  it('is created by DropScheduled and counts sales, tiers, revenue and cancellations', () => {
    const s0 = evolveDropSummary(null, scheduled)!;
    expect(s0).toMatchObject({
      status: 'scheduled',
      unitsSold: 0,
      tierInForce: 0,
      unitPriceInForce: 2500,
      lastRevision: scheduled.revision,
    });
    const p = fact(placed('p1', 'TEE-M', 3));
    const s1 = evolveDropSummary(s0, p)!;
    expect(s1).toMatchObject({ unitsSold: 3, netUnits: 3, activePreOrders: 1, revenue: 7500, tierInForce: 1, unitPriceInForce: 3000 });
    expect(s1.revenueByTier).toEqual({ '0': 7500 });
    const po = evolvePreOrder(null, p)!;
    const cancel = fact(
      {
        type: 'PreOrderCancelled',
        data: { dropId: 'u1', preOrderId: 'p1', customerId: 'c-p1', sku: 'TEE-M', quantity: 3, cancelledAt: 'x' },
      },
      '2027-01-02T13:00:00.000Z',
      po,
    );
    const s2 = evolveDropSummary(s1, cancel)!;
    expect(s2).toMatchObject({ unitsSold: 3, netUnits: 0, activePreOrders: 0, revenue: 0, lastEventAt: '2027-01-02T13:00:00.000Z' });
    // A second cancellation of the same pre-order (its facts now say cancelled) changes no figure.
    const again = fact(cancel.event, '2027-01-02T14:00:00.000Z', evolvePreOrder(po, cancel)!);
    expect(evolveDropSummary(s2, again)).toMatchObject({ netUnits: 0, activePreOrders: 0, revenue: 0, lastRevision: again.revision });
  });

  it('guards the drop: an event at or below the last revision, or before DropScheduled, does not apply', () => {
    const s0 = evolveDropSummary(null, scheduled)!;
    const later = fact({ type: 'PreOrderWindowOpened', data: { dropId: 'u1', openedAt: 'x' } });
    expect(appliesTo(null, later)).toBe(false);
    expect(appliesTo(s0, later)).toBe(true);
    expect(appliesTo(evolveDropSummary(s0, later), later)).toBe(false);
    expect(appliesTo(s0, scheduled)).toBe(false);
    expect(evolveDropSummary(null, later)).toBeNull();
  });

  it('follows the lifecycle statuses', () => {
    let s = evolveDropSummary(null, scheduled)!;
    const steps: Array<[Parameters<typeof fact>[0], string]> = [
      [{ type: 'PreOrderWindowOpened', data: { dropId: 'u1', openedAt: 'x' } }, 'open'],
      [{ type: 'PreOrderWindowClosed', data: { dropId: 'u1', unitsSold: 0, netUnits: 0, activePreOrders: 0, closedAt: 'x' } }, 'closed'],
      [{ type: 'TippingPointReached', data: { dropId: 'u1', netUnits: 4, minimumOrderQuantity: 4, reachedAt: 'x' } }, 'tipped'],
      [{ type: 'ProductionRunStarted', data: { dropId: 'u1', runId: 'r1', startedAt: 'x' } }, 'in-production'],
      [{ type: 'DropCompleted', data: { dropId: 'u1', completedAt: 'x' } }, 'completed'],
    ];
    for (const [event, status] of steps) expect((s = evolveDropSummary(s, fact(event))!).status).toBe(status);
  });
  it('names the open phase: each AccessPhaseOpened, the public window under its own name, none once the window closed', () => {
    validateDropDefinition(PHASED_DEFINITION);
    let s = evolveDropSummary(
      null,
      fact({ type: 'DropScheduled', data: { dropId: 'u1', definition: PHASED_DEFINITION, scheduledAt: 'x' } }),
    )!;
    expect(s).toMatchObject({ status: 'scheduled', openPhase: null, onSellOut: 'close', soldOut: false, members: 0, announced: false });
    const opened = (phase: string, audience: 'members' | 'city', trigger: 'schedule' | 'ops'): DropEvent => ({
      type: 'AccessPhaseOpened',
      data: { dropId: 'u1', phase, audience, opensAt: 'x', trigger, rolledOver: {}, openedAt: 'x' },
    });
    const steps: Array<[DropEvent, Record<string, unknown>]> = [
      [opened('members', 'members', 'schedule'), { status: 'early-access', openPhase: 'members', announced: true }],
      [opened('city', 'city', 'ops'), { status: 'early-access', openPhase: 'city' }],
      [
        { type: 'PreOrderWindowOpened', data: { dropId: 'u1', openedAt: 'x' } },
        { status: 'open', openPhase: 'launch' },
      ],
      [
        { type: 'PreOrderWindowClosed', data: { dropId: 'u1', unitsSold: 0, netUnits: 0, activePreOrders: 0, closedAt: 'x' } },
        { status: 'closed', openPhase: null },
      ],
    ];
    for (const [event, expected] of steps) {
      const f = fact(event);
      s = evolveDropSummary(s, f)!;
      expect(s).toMatchObject({ ...expected, lastRevision: f.revision });
    }
  });

  it('reads a stored EarlyAccessOpened as the opening of the earlyAccess shorthand phase; the public phase is `public`', () => {
    const legacy = { ...DEFINITION, earlyAccess: { opensAt: '2026-12-31T10:00:00.000Z', audience: 'repeat-customers' as const } };
    let s = evolveDropSummary(null, fact({ type: 'DropScheduled', data: { dropId: 'u1', definition: legacy, scheduledAt: 'x' } }))!;
    expect(s).toMatchObject({ onSellOut: 'stay-open', openPhase: null });
    s = evolveDropSummary(s, fact({ type: 'EarlyAccessOpened', data: { dropId: 'u1', audience: 'repeat-customers', openedAt: 'x' } }))!;
    expect(s).toMatchObject({ status: 'early-access', openPhase: 'early-access', announced: true });
    s = evolveDropSummary(s, fact({ type: 'PreOrderWindowOpened', data: { dropId: 'u1', openedAt: 'x' } }))!;
    expect(s).toMatchObject({ status: 'open', openPhase: 'public' });
    s = evolveDropSummary(s, fact({ type: 'DropCancelled', data: { dropId: 'u1', reason: 'r', cancelledAt: 'x' } }))!;
    expect(s).toMatchObject({ status: 'cancelled', openPhase: null });
  });

  it('counts members from the events (ids never kept) and moves the revision on each', () => {
    let s = evolveDropSummary(null, scheduled)!;
    const added = fact({ type: 'DropMembersAdded', data: { dropId: 'u1', customerIds: ['a', 'b', 'c'], addedBy: 'ops-1', addedAt: 'x' } });
    s = evolveDropSummary(s, added)!;
    expect(s).toMatchObject({ members: 3, lastRevision: added.revision, announced: false, status: 'scheduled' });
    const removed = fact({ type: 'DropMembersRemoved', data: { dropId: 'u1', customerIds: ['b'], removedBy: 'ops-1', removedAt: 'x' } });
    s = evolveDropSummary(s, removed)!;
    expect(s).toMatchObject({ members: 2, lastRevision: removed.revision });
    expect(JSON.stringify(s)).not.toMatch(/"a"|"b"|"c"/);
  });

  it('is sold out while net units equal the caps: a cancellation takes it back; a revision sets the sell-out behaviour', () => {
    let s = evolveDropSummary(null, scheduled)!;
    s = evolveDropSummary(s, fact({ type: 'DropRevised', data: { dropId: 'u1', definition: PHASED_DEFINITION, revisedAt: 'x' } }))!;
    expect(s).toMatchObject({ onSellOut: 'close', soldOut: false });
    s = evolveDropSummary(s, fact(placed('p1', 'TEE-M', 10)))!;
    expect(s.soldOut).toBe(false);
    const last = fact(placed('p2', 'TEE-L', 5));
    s = evolveDropSummary(s, last)!;
    expect(s).toMatchObject({ netUnits: 15, soldOut: true });
    const cancel = fact(
      {
        type: 'PreOrderCancelled',
        data: { dropId: 'u1', preOrderId: 'p2', customerId: 'c-p2', sku: 'TEE-L', quantity: 5, cancelledAt: 'x' },
      },
      undefined,
      evolvePreOrder(null, last)!,
    );
    s = evolveDropSummary(s, cancel)!;
    expect(s).toMatchObject({ netUnits: 10, soldOut: false });
  });

  it('with onSellOut close, the sale of the last unit closes the window and tips in the same decision: sold out, no open phase', () => {
    let s = evolveDropSummary(
      null,
      fact({ type: 'DropScheduled', data: { dropId: 'u1', definition: PHASED_DEFINITION, scheduledAt: 'x' } }),
    )!;
    const decision: DropEvent[] = [
      { type: 'PreOrderWindowOpened', data: { dropId: 'u1', openedAt: 'x' } },
      placed('p1', 'TEE-M', 10),
      placed('p2', 'TEE-L', 5),
      { type: 'VariantSoldOut', data: { dropId: 'u1', sku: 'TEE-L', soldOutAt: 'x' } },
      { type: 'DropSoldOut', data: { dropId: 'u1', soldOutAt: 'x' } },
      { type: 'PreOrderWindowClosed', data: { dropId: 'u1', unitsSold: 15, netUnits: 15, activePreOrders: 2, closedAt: 'x' } },
      { type: 'TippingPointReached', data: { dropId: 'u1', netUnits: 15, minimumOrderQuantity: 4, reachedAt: 'x' } },
    ];
    for (const event of decision) s = evolveDropSummary(s, fact(event))!;
    expect(s).toMatchObject({ status: 'tipped', soldOut: true, onSellOut: 'close', openPhase: null, netUnits: 15 });
  });
});
