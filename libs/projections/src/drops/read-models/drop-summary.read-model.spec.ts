import { DEFINITION, fact, placed } from '../../testing/read-model-facts';
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
});
