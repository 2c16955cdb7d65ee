import { DEFINITION, fact, placed } from '../../testing/read-model-facts';
import { evolvePreOrder } from './customer-pre-orders.read-model';
import { evolveInventory, inventorySkusOf } from './inventory.read-model';

describe('inventory read model', () => {
  const scheduled = fact({ type: 'DropScheduled', data: { dropId: 'u1', definition: DEFINITION, scheduledAt: 'x' } });

  it('available = cap − net pre-ordered + restockable returns; on hand = produced − rejected − handed over + restockable returns', () => {
    let inv = evolveInventory(null, scheduled, 'TEE-M')!;
    expect(inv).toMatchObject({ editionCap: 10, available: 10, onHand: 0 });
    const p = fact(placed('p1', 'TEE-M', 2));
    inv = evolveInventory(inv, p, 'TEE-M')!;
    expect(inv).toMatchObject({ unitsAccepted: 2, unitsPreOrdered: 2, available: 8 });
    inv = evolveInventory(
      inv,
      fact({
        type: 'ProductionRunCompleted',
        data: {
          dropId: 'u1',
          runId: 'r1',
          producedBySku: { 'TEE-M': 3 },
          rejectedBySku: { 'TEE-M': 1 },
          goodBySku: { 'TEE-M': 2 },
          surplusBySku: {},
          coveredPreOrderCount: 1,
          uncoveredPreOrderCount: 0,
          completedAt: 'x',
        },
      }),
      'TEE-M',
    )!;
    expect(inv).toMatchObject({ unitsProduced: 3, unitsRejected: 1, onHand: 2 });
    let po = evolvePreOrder(null, p)!;
    const shipped = fact(
      { type: 'ShipmentDispatched', data: { dropId: 'u1', preOrderId: 'p1', carrier: 'c', trackingNumber: 't', dispatchedAt: 'x' } },
      undefined,
      po,
    );
    inv = evolveInventory(inv, shipped, 'TEE-M')!;
    po = evolvePreOrder(po, shipped)!;
    expect(inv).toMatchObject({ unitsShipped: 2, onHand: 0 });
    // The same hand-over step again (the pre-order is already dispatched) returns the row unchanged.
    expect(evolveInventory(inv, fact(shipped.event, undefined, po), 'TEE-M')).toBe(inv);
    const requested = fact(
      { type: 'ReturnRequested', data: { dropId: 'u1', returnId: 'x1', preOrderId: 'p1', reason: 'defect', requestedAt: 'x' } },
      undefined,
      po,
    );
    po = evolvePreOrder(po, requested)!;
    inv = evolveInventory(
      inv,
      fact(
        { type: 'ReturnReceived', data: { dropId: 'u1', returnId: 'x1', preOrderId: 'p1', condition: 'restockable', receivedAt: 'x' } },
        undefined,
        po,
      ),
      'TEE-M',
    )!;
    expect(inv).toMatchObject({ unitsReturnedRestockable: 2, available: 10, onHand: 2 });
  });

  it('a revision that stops listing a SKU deletes its row; a revision re-caps the others', () => {
    const revised = fact({
      type: 'DropRevised',
      data: { dropId: 'u1', definition: { ...DEFINITION, variants: [{ ...DEFINITION.variants[0], editionCap: 12 }] }, revisedAt: 'x' },
    });
    expect(inventorySkusOf(revised, ['TEE-M', 'TEE-L'])).toEqual(['TEE-M', 'TEE-L']);
    expect(evolveInventory(evolveInventory(null, scheduled, 'TEE-L'), revised, 'TEE-L')).toBeNull();
    expect(evolveInventory(evolveInventory(null, scheduled, 'TEE-M'), revised, 'TEE-M')).toMatchObject({ editionCap: 12, available: 12 });
  });
});
