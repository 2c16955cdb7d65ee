import { DomainError } from '../../decider';
import type {
  RecordPaymentAuthorized,
  RecordPaymentCaptured,
  RecordPaymentFailed,
  RecordPaymentRefunded,
  RequestRefund,
} from '../drop.commands';
import {
  advanceRefundCursor,
  afterScheduled,
  instantOf,
  isPositiveInt,
  preOrderOf,
  refundRequested,
  requireText,
} from '../drop.decide-support';
import type { DropEvent } from '../drop.events';
import { assertNever, DropState, ExistingDrop, PaymentTally, PreOrderRecord } from '../drop.state';

// Facts from the provider, recorded once per providerRef; refund requests.

export type PaymentCommand = RecordPaymentAuthorized | RecordPaymentCaptured | RecordPaymentFailed | RecordPaymentRefunded;

export function recordPayment(command: PaymentCommand, state: ExistingDrop): DropEvent[] {
  const preOrder = preOrderOf(state, command.preOrderId);
  requireText(command.providerRef, 'providerRef');
  if (preOrder.payment?.facts.has(`${command.type}:${command.providerRef}`)) return [];
  if (!isPositiveInt(command.amount))
    throw new DomainError('PAYMENT.INVALID_AMOUNT', 'amount must be a positive integer of minor units', { amount: command.amount });
  checkAgainstOrder(command, preOrder, state);
  instantOf(command.now);
  const base = {
    dropId: state.dropId,
    preOrderId: preOrder.preOrderId,
    amount: command.amount,
    currency: state.definition.currency,
    providerRef: command.providerRef,
  };
  switch (command.type) {
    case 'RecordPaymentAuthorized':
      return [{ type: 'PaymentAuthorized', data: { ...base, authorizedAt: command.now } }];
    case 'RecordPaymentCaptured':
      return [{ type: 'PaymentCaptured', data: { ...base, capturedAt: command.now } }];
    case 'RecordPaymentFailed':
      return [{ type: 'PaymentFailed', data: { ...base, failedAt: command.now } }];
    case 'RecordPaymentRefunded':
      return [{ type: 'PaymentRefunded', data: { ...base, refundedAt: command.now } }];
    default:
      return assertNever(command);
  }
}

const TALLY_OF: Record<PaymentCommand['type'], keyof Omit<PaymentTally, 'facts'>> = {
  RecordPaymentAuthorized: 'authorized',
  RecordPaymentCaptured: 'captured',
  RecordPaymentFailed: 'failed',
  RecordPaymentRefunded: 'refunded',
};

/**
 * A provider's fact must fit the order it is about: the drop's currency, and no more of each
 * kind (authorized, captured, failed, refunded) in total than the pre-order owes. A capture of
 * 999,999 on a 2,000 order is a wrong fact, not money to keep. Refunds count with the refund of
 * the pre-order's return (ReturnRefunded): the customer is not paid back twice.
 */
function checkAgainstOrder(command: PaymentCommand, preOrder: PreOrderRecord, state: ExistingDrop): void {
  const currency = state.definition.currency;
  if (command.currency !== undefined && command.currency !== currency) {
    throw new DomainError('PAYMENT.CURRENCY_MISMATCH', `The pre-order is in ${currency}, the fact is in ${String(command.currency)}`, {
      field: 'currency',
      expected: currency,
    });
  }
  const kind = TALLY_OF[command.type];
  const already = preOrder.payment?.[kind] ?? 0;
  const byReturn = kind === 'refunded' && preOrder.returnId !== undefined ? (state.returns.get(preOrder.returnId)?.refundedAmount ?? 0) : 0;
  if (already + byReturn + command.amount > preOrder.total) {
    throw new DomainError(
      'PAYMENT.AMOUNT_EXCEEDS_ORDER',
      `${kind} would reach ${already + byReturn + command.amount}${byReturn ? ` with the return's refund of ${byReturn}` : ''}, more than the pre-order's total ${preOrder.total}`,
      {
        field: 'amount',
        total: preOrder.total,
        [kind]: already,
        ...(byReturn ? { refundedByReturn: byReturn } : {}),
      },
    );
  }
}

export function requestRefund(command: RequestRefund, state: ExistingDrop): DropEvent[] {
  const preOrder = preOrderOf(state, command.preOrderId);
  if (preOrder.refundRequested) return [];
  // A returned pre-order is refunded through its return (RecordReturnRefunded), not twice.
  if (preOrder.returnId !== undefined) {
    throw new DomainError(
      'REFUND.RETURN_EXISTS',
      `Pre-order ${preOrder.preOrderId} has return ${preOrder.returnId}; it is refunded through the return`,
      {
        preOrderId: preOrder.preOrderId,
        returnId: preOrder.returnId,
      },
    );
  }
  requireText(command.reason, 'reason');
  instantOf(command.now);
  return [refundRequested(state, preOrder, command.reason, command.now)];
}

function paymentOf(preOrder: PreOrderRecord): PaymentTally {
  if (!preOrder.payment) preOrder.payment = { authorized: 0, captured: 0, failed: 0, refunded: 0, facts: new Set() };
  return preOrder.payment;
}

/** The events this sub-decider evolves. */
export const paymentEventTypes = ['RefundRequested', 'PaymentAuthorized', 'PaymentCaptured', 'PaymentFailed', 'PaymentRefunded'] as const;
export type PaymentEventType = (typeof paymentEventTypes)[number];

/** Applies one Payments event (see dropDecider for the linear-state contract). */
export function evolvePayments(state: DropState, event: Extract<DropEvent, { type: PaymentEventType }>): DropState {
  switch (event.type) {
    case 'RefundRequested': {
      const s = afterScheduled(state, event);
      const record = s.preOrders.get(event.data.preOrderId);
      if (!record || record.refundRequested) return s;
      record.refundRequested = true;
      if (record.status === 'active') s.pendingRefunds--;
      advanceRefundCursor(s);
      return s;
    }
    case 'PaymentAuthorized':
    case 'PaymentCaptured':
    case 'PaymentFailed':
    case 'PaymentRefunded': {
      const s = afterScheduled(state, event);
      const record = s.preOrders.get(event.data.preOrderId);
      if (!record) return s;
      const payment = paymentOf(record);
      const commandType = `Record${event.type}`;
      payment.facts.add(`${commandType}:${event.data.providerRef}`);
      if (event.type === 'PaymentAuthorized') payment.authorized += event.data.amount;
      else if (event.type === 'PaymentCaptured') payment.captured += event.data.amount;
      else if (event.type === 'PaymentFailed') payment.failed += event.data.amount;
      else payment.refunded += event.data.amount;
      return s;
    }
    default:
      return assertNever(event);
  }
}
