// Returns. (moved from drop.after-close.spec.ts)
import { OPS_ACTOR, DROP_ID } from '../../testing/drop.fixtures';
import { given } from '../../testing/given-when-then';
import { po, cmd, handedOver, eventsOfAfter } from '../../testing/after-close.fixtures';
import type { DropCommand } from '../../drop/drop.commands';
import type { DropEvent } from '../../drop/drop.events';

describe('returns', () => {
  const requested = (n: number, at: string, reason = 'too-small'): DropEvent =>
    ({
      type: 'ReturnRequested',
      data: { dropId: DROP_ID, returnId: `${po(n)}.ret.1`, preOrderId: po(n), reason, requestedAt: at },
    }) as DropEvent;

  it('RequestReturn within the return window → ReturnRequested', () => {
    given(...handedOver())
      .when(cmd.requestReturn(1, '2027-01-02T10:00:00Z'))
      .then([requested(1, '2027-01-02T10:00:00Z')]);
  });

  it('RequestReturn is refused once returnWindowDays have passed since delivery', () => {
    // Delivered Dec 28 10:00 + 14 days = Jan 11 10:00.
    given(...handedOver())
      .when(cmd.requestReturn(1, '2027-01-11T09:59:59Z'))
      .then([requested(1, '2027-01-11T09:59:59Z')]);
    given(...handedOver())
      .when(cmd.requestReturn(1, '2027-01-11T10:00:00Z'))
      .thenRejects('RETURN.WINDOW_EXPIRED', { deadline: '2027-01-11T10:00:00.000Z' });
  });

  it('RequestReturn is idempotent on the return id and allows one return per pre-order', () => {
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when(cmd.requestReturn(1, '2027-01-03T10:00:00Z'))
      .then([]);
    given(...history)
      .when(cmd.requestReturn(1, '2027-01-03T10:00:00Z', `${po(1)}.ret.1`, 'defect'))
      .thenRejects('RETURN.ALREADY_EXISTS');
    given(...history)
      .when(cmd.requestReturn(1, '2027-01-03T10:00:00Z', `${po(1)}.ret.2`))
      .thenRejects('RETURN.ALREADY_REQUESTED');
  });

  it('RequestReturn by another customer is refused exactly like an unknown pre-order, even as a repeat; ops may ask for any', () => {
    const stranger = { subject: 'customer-2', roles: ['customer'] };
    given(...handedOver())
      .when({ ...cmd.requestReturn(1, '2027-01-02T10:00:00Z'), actor: stranger } as DropCommand)
      .thenRejects('PREORDER.NOT_FOUND', { preOrderId: po(1) });
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when({ ...cmd.requestReturn(1, '2027-01-03T10:00:00Z'), actor: stranger } as DropCommand)
      .thenRejects('PREORDER.NOT_FOUND', { preOrderId: po(1) });
    given(...handedOver())
      .when({ ...cmd.requestReturn(1, '2027-01-02T10:00:00Z'), actor: OPS_ACTOR } as DropCommand)
      .then([requested(1, '2027-01-02T10:00:00Z')]);
  });

  it('RequestReturn is refused for goods not handed over, an unknown pre-order or reason', () => {
    given(...handedOver())
      .when(cmd.requestReturn(3, '2027-01-02T10:00:00Z'))
      .thenRejects('RETURN.NOT_RETURNABLE');
    given(...handedOver())
      .when(cmd.requestReturn(9, '2027-01-02T10:00:00Z'))
      .thenRejects('PREORDER.NOT_FOUND');
    given(...handedOver())
      .when({ ...cmd.requestReturn(1, '2027-01-02T10:00:00Z'), reason: 'changed-my-mind' } as unknown as DropCommand)
      .thenRejects('RETURN.INVALID_REASON');
  });

  it('RequestReturn is refused for a pre-order with a refund requested: it would be refunded twice', () => {
    const refunded = [...handedOver(), ...eventsOfAfter(handedOver(), cmd.refund(1, 'goodwill'))];
    given(...refunded)
      .when(cmd.requestReturn(1, '2027-01-02T10:00:00Z'))
      .thenRejects('RETURN.NOT_RETURNABLE', { preOrderId: po(1), refundRequested: true });
    given(...refunded)
      .when({ ...cmd.requestReturn(1, '2027-01-02T10:00:00Z'), actor: OPS_ACTOR } as DropCommand)
      .thenRejects('RETURN.NOT_RETURNABLE');
  });

  it('ReceiveReturn → ReturnReceived; same condition again → []; another condition or unknown return → rejected', () => {
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when(cmd.receive(1))
      .then([
        {
          type: 'ReturnReceived',
          data: {
            dropId: DROP_ID,
            returnId: `${po(1)}.ret.1`,
            preOrderId: po(1),
            condition: 'restockable',
            receivedAt: '2027-01-05T10:00:00Z',
          },
        },
      ]);
    const received = [...history, ...eventsOfAfter(history, cmd.receive(1))];
    given(...received)
      .when(cmd.receive(1))
      .then([]);
    given(...received)
      .when(cmd.receive(1, 'not-restockable'))
      .thenRejects('RETURN.INVALID_STATE');
    given(...handedOver())
      .when(cmd.receive(1))
      .thenRejects('RETURN.NOT_FOUND');
  });

  it('refunds through the return and through the provider together never exceed the pre-order total', () => {
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    const received = [...history, ...eventsOfAfter(history, cmd.receive(1))];
    // The return refunded 3000 of 5000: the provider may refund 2000 more, not 2001.
    const byReturn = [...received, ...eventsOfAfter(received, cmd.returnRefunded(1, 3000))];
    given(...byReturn)
      .when(cmd.pay('RecordPaymentRefunded', 1, 2001, 'rf_1'))
      .thenRejects('PAYMENT.AMOUNT_EXCEEDS_ORDER', { field: 'amount', total: 5000, refunded: 0, refundedByReturn: 3000 });
    given(...byReturn)
      .when(cmd.pay('RecordPaymentRefunded', 1, 2000, 'rf_1'))
      .then([expect.objectContaining({ type: 'PaymentRefunded', data: expect.objectContaining({ amount: 2000 }) }) as DropEvent]);
    // The provider refunded 5000 first: nothing is left for the return.
    const byProvider = [...received, ...eventsOfAfter(received, cmd.pay('RecordPaymentRefunded', 1, 5000, 'rf_1'))];
    given(...byProvider)
      .when(cmd.returnRefunded(1, 1))
      .thenRejects('RETURN.INVALID_AMOUNT', { total: 5000, refunded: 5000 });
    const partly = [...received, ...eventsOfAfter(received, cmd.pay('RecordPaymentRefunded', 1, 1000, 'rf_1'))];
    given(...partly)
      .when(cmd.returnRefunded(1, 4001))
      .thenRejects('RETURN.INVALID_AMOUNT', { total: 5000, refunded: 1000 });
    given(...partly)
      .when(cmd.returnRefunded(1, 4000))
      .then([expect.objectContaining({ type: 'ReturnRefunded', data: expect.objectContaining({ amount: 4000 }) }) as DropEvent]);
  });

  it('RecordReturnRefunded → ReturnRefunded once received; duplicates → []', () => {
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when(cmd.returnRefunded(1, 5000))
      .thenRejects('RETURN.NOT_RECEIVED');
    const received = [...history, ...eventsOfAfter(history, cmd.receive(1))];
    given(...received)
      .when(cmd.returnRefunded(1, 5000))
      .then([
        {
          type: 'ReturnRefunded',
          data: {
            dropId: DROP_ID,
            returnId: `${po(1)}.ret.1`,
            preOrderId: po(1),
            amount: 5000,
            currency: 'GBP',
            providerRef: 're_1',
            refundedAt: '2027-01-06T10:00:00Z',
          },
        },
      ]);
    given(...received)
      .when(cmd.returnRefunded(1, 5001))
      .thenRejects('RETURN.INVALID_AMOUNT', { total: 5000 });
    const refunded = [...received, ...eventsOfAfter(received, cmd.returnRefunded(1, 5000))];
    given(...refunded)
      .when(cmd.returnRefunded(1, 5000))
      .then([]);
    given(...refunded)
      .when(cmd.returnRefunded(1, 5000, 're_other'))
      .thenRejects('RETURN.ALREADY_REFUNDED');
  });
});
