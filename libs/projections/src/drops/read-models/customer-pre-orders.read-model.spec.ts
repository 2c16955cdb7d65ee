import { fact, placed } from '../../testing/read-model-facts';
import { evolvePreOrder } from './customer-pre-orders.read-model';

describe('customer pre-orders read model', () => {
  it('is created by PreOrderPlaced and follows cancellation, refund, hand-over and return, each step once', () => {
    const p = fact(placed('p1', 'TEE-M', 1));
    const po = evolvePreOrder(null, p)!;
    expect(po).toMatchObject({
      preOrderId: 'p1',
      customerId: 'c-p1',
      status: 'active',
      handOver: 'awaiting',
      fulfillment: 'ship',
      locationId: null,
    });
    expect(evolvePreOrder(po, p)).toBe(po);
    const delivered = evolvePreOrder(po, fact({ type: 'ShipmentDelivered', data: { dropId: 'u1', preOrderId: 'p1', deliveredAt: 'x' } }))!;
    expect(delivered.handOver).toBe('delivered');
    expect(po.handOver).toBe('awaiting');
    const requested = evolvePreOrder(
      delivered,
      fact({ type: 'ReturnRequested', data: { dropId: 'u1', returnId: 'x1', preOrderId: 'p1', reason: 'too-small', requestedAt: 'x' } }),
    )!;
    expect(requested).toMatchObject({ returnId: 'x1', returnReason: 'too-small', returnStatus: 'requested' });
    const received = evolvePreOrder(
      requested,
      fact({
        type: 'ReturnReceived',
        data: { dropId: 'u1', returnId: 'x1', preOrderId: 'p1', condition: 'not-restockable', receivedAt: 'x' },
      }),
    )!;
    expect(received).toMatchObject({ returnStatus: 'received', returnCondition: 'not-restockable' });
    const cancel = fact({
      type: 'PreOrderCancelled',
      data: { dropId: 'u1', preOrderId: 'p1', customerId: 'c-p1', sku: 'TEE-M', quantity: 1, cancelledAt: '2027-01-03T00:00:00.000Z' },
    });
    expect(evolvePreOrder(po, cancel)).toMatchObject({ status: 'cancelled', cancelledAt: '2027-01-03T00:00:00.000Z' });
  });

  it('an event naming an unknown pre-order creates nothing', () => {
    expect(
      evolvePreOrder(null, fact({ type: 'ShipmentDelivered', data: { dropId: 'u1', preOrderId: 'nope', deliveredAt: 'x' } })),
    ).toBeNull();
  });
});
