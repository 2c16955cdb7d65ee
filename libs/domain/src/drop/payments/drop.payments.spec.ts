// Payments and refund requests after the money is promised. (moved from drop.after-close.spec.ts)
import { DROP_ID, scheduled, T_DURING, windowOpened, placed } from '../../testing/drop.fixtures';
import { given } from '../../testing/given-when-then';
import { po, T_DONE, cmd, tipped, handedOver, eventsOfAfter } from '../../testing/after-close.fixtures';
import type { DropCommand } from '../../drop/drop.commands';
import type { DropEvent } from '../../drop/drop.events';

describe('payments (recorded provider facts)', () => {
  const history = () => [scheduled(), windowOpened(), placed({ sequence: 1 })];
  const fact = (type: string, at: string, providerRef = 'pi_1', amount = 2500) =>
    ({ type, data: { dropId: DROP_ID, preOrderId: po(1), amount, currency: 'GBP', providerRef, [at]: T_DURING } }) as unknown as DropEvent;

  it.each([
    ['RecordPaymentAuthorized', 'PaymentAuthorized', 'authorizedAt'],
    ['RecordPaymentCaptured', 'PaymentCaptured', 'capturedAt'],
    ['RecordPaymentFailed', 'PaymentFailed', 'failedAt'],
    ['RecordPaymentRefunded', 'PaymentRefunded', 'refundedAt'],
  ] as const)('%s records %s', (command, event, at) => {
    given(...history())
      .when(cmd.pay(command, 1, 2500, 'pi_1'))
      .then([fact(event, at)]);
  });

  it('returns [] for the same fact delivered twice (same providerRef)', () => {
    given(...history(), fact('PaymentCaptured', 'capturedAt'))
      .when(cmd.pay('RecordPaymentCaptured', 1, 2500, 'pi_1'))
      .then([]);
  });

  it('records another fact of the same kind with another providerRef', () => {
    given(...history(), fact('PaymentCaptured', 'capturedAt', 'pi_1', 2400))
      .when(cmd.pay('RecordPaymentCaptured', 1, 100, 'pi_2'))
      .then([fact('PaymentCaptured', 'capturedAt', 'pi_2', 100)]);
  });

  it('is recorded on a cancelled drop too (refunds happen there)', () => {
    given(...history(), { type: 'DropCancelled', data: { dropId: DROP_ID, reason: 'x', cancelledAt: T_DURING } })
      .when(cmd.pay('RecordPaymentRefunded', 1, 2500, 'pi_1'))
      .then([fact('PaymentRefunded', 'refundedAt')]);
  });

  it('rejects an unknown pre-order', () => {
    given(...history())
      .when(cmd.pay('RecordPaymentCaptured', 9, 2500, 'pi_1'))
      .thenRejects('PREORDER.NOT_FOUND');
  });

  it('rejects an amount that is not a positive integer', () => {
    given(...history())
      .when(cmd.pay('RecordPaymentCaptured', 1, 25.5, 'pi_1'))
      .thenRejects('PAYMENT.INVALID_AMOUNT');
  });

  it('rejects a fact for more than the pre-order owes, in one fact or in total per kind', () => {
    given(...history())
      .when(cmd.pay('RecordPaymentCaptured', 1, 999_999, 'pi_1'))
      .thenRejects('PAYMENT.AMOUNT_EXCEEDS_ORDER', { field: 'amount', total: 2500 });
    given(...history())
      .when(cmd.pay('RecordPaymentAuthorized', 1, 2501, 'pi_1'))
      .thenRejects('PAYMENT.AMOUNT_EXCEEDS_ORDER');
    given(...history(), fact('PaymentCaptured', 'capturedAt', 'pi_1', 2000))
      .when(cmd.pay('RecordPaymentCaptured', 1, 501, 'pi_2'))
      .thenRejects('PAYMENT.AMOUNT_EXCEEDS_ORDER', { captured: 2000 });
    given(...history(), fact('PaymentCaptured', 'capturedAt', 'pi_1', 2000))
      .when(cmd.pay('RecordPaymentCaptured', 1, 500, 'pi_2'))
      .then([fact('PaymentCaptured', 'capturedAt', 'pi_2', 500)]);
  });

  it("rejects a fact in another currency than the drop's", () => {
    given(...history())
      .when({ ...cmd.pay('RecordPaymentCaptured', 1, 2500, 'pi_1'), currency: 'EUR' } as DropCommand)
      .thenRejects('PAYMENT.CURRENCY_MISMATCH', { field: 'currency', expected: 'GBP' });
    given(...history())
      .when({ ...cmd.pay('RecordPaymentCaptured', 1, 2500, 'pi_1'), currency: 'GBP' } as DropCommand)
      .then([fact('PaymentCaptured', 'capturedAt')]);
  });
});

describe('RequestRefund (one pre-order, by ops)', () => {
  it('requests a refund of the pre-order total', () => {
    given(...tipped())
      .when(cmd.refund(3))
      .then([
        {
          type: 'RefundRequested',
          data: {
            dropId: DROP_ID,
            preOrderId: po(3),
            customerId: 'customer-3',
            amount: 6750,
            currency: 'GBP',
            reason: 'not covered by production',
            requestedAt: T_DONE,
          },
        },
      ]);
    // #3 is 3 units at tier 0 with the 10 % basket: 2 500 × 3 × 0.9 = 6 750.
  });

  it('returns [] when a refund was already requested', () => {
    given(...tipped(), ...eventsOfAfter(tipped(), cmd.refund(3)))
      .when(cmd.refund(3, 'again'))
      .then([]);
  });

  it('rejects an unknown pre-order', () => {
    given(...tipped())
      .when(cmd.refund(9))
      .thenRejects('PREORDER.NOT_FOUND');
  });

  it('rejects a pre-order with a return, requested or refunded: the return refunds it', () => {
    const returned = [...handedOver(), ...eventsOfAfter(handedOver(), cmd.requestReturn(1, '2027-01-02T10:00:00Z'))];
    given(...returned)
      .when(cmd.refund(1, 'goodwill'))
      .thenRejects('REFUND.RETURN_EXISTS', { preOrderId: po(1), returnId: `${po(1)}.ret.1` });
    const refunded = [...returned, ...eventsOfAfter(returned, cmd.receive(1), cmd.returnRefunded(1, 5000))];
    given(...refunded)
      .when(cmd.refund(1, 'goodwill'))
      .thenRejects('REFUND.RETURN_EXISTS');
  });
});
