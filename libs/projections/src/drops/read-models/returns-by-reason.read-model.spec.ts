import { fact, placed } from '../../testing/read-model-facts';
import { evolvePreOrder } from './customer-pre-orders.read-model';
import { evolveReturnsByReason, returnReasonOf } from './returns-by-reason.read-model';

describe('returns by reason read model', () => {
  it('counts a return under the reason it was requested for, through receipt and refund', () => {
    let po = evolvePreOrder(null, fact(placed('p1', 'TEE-M', 2)))!;
    const requested = fact(
      { type: 'ReturnRequested', data: { dropId: 'u1', returnId: 'x1', preOrderId: 'p1', reason: 'too-large', requestedAt: 'x' } },
      undefined,
      po,
    );
    expect(returnReasonOf(requested)).toBe('too-large');
    let row = evolveReturnsByReason(null, requested, 'too-large')!;
    expect(row).toMatchObject({ returnsRequested: 1, unitsRequested: 2 });
    po = evolvePreOrder(po, requested)!;
    // The same request again (the pre-order has a return) changes nothing.
    expect(evolveReturnsByReason(row, fact(requested.event, undefined, po), 'too-large')).toBe(row);
    const received = fact(
      { type: 'ReturnReceived', data: { dropId: 'u1', returnId: 'x1', preOrderId: 'p1', condition: 'restockable', receivedAt: 'x' } },
      undefined,
      po,
    );
    expect(returnReasonOf(received)).toBe('too-large');
    row = evolveReturnsByReason(row, received, 'too-large')!;
    po = evolvePreOrder(po, received)!;
    const refunded = fact(
      {
        type: 'ReturnRefunded',
        data: { dropId: 'u1', returnId: 'x1', preOrderId: 'p1', amount: 5000, currency: 'GBP', providerRef: 'r', refundedAt: 'x' },
      },
      undefined,
      po,
    );
    row = evolveReturnsByReason(row, refunded, 'too-large')!;
    expect(row).toMatchObject({ unitsReceivedRestockable: 2, unitsReceivedNotRestockable: 0, returnsRefunded: 1, amountRefunded: 5000 });
  });
});
