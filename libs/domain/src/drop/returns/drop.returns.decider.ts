import { DomainError } from '../../decider';
import { RETURN_CONDITIONS, RETURN_REASONS } from '../drop.commands';
import type { ReceiveReturn, RecordReturnRefunded, RequestReturn } from '../drop.commands';
import {
  afterScheduled,
  dropCancelled,
  dropCompleted,
  instantOf,
  isPositiveInt,
  ownedPreOrderOf,
  preOrderOf,
  requireText,
} from '../drop.decide-support';
import type { DropEvent } from '../drop.events';
import { assertNever, DAY_MS, DropState, ExistingDrop } from '../drop.state';

function returnOf(state: ExistingDrop, returnId: string) {
  const found = state.returns.get(returnId);
  if (!found) throw new DomainError('RETURN.NOT_FOUND', `Return ${returnId} does not exist`, { returnId });
  return found;
}

export function requestReturn(command: RequestReturn, state: ExistingDrop): DropEvent[] {
  // Ownership first: even a repeat of an existing return must not tell a stranger it exists.
  const preOrder = ownedPreOrderOf(state, command.preOrderId, command.actor);
  const known = state.returns.get(command.returnId);
  if (known) {
    if (known.preOrderId === command.preOrderId && known.reason === command.reason) return [];
    throw new DomainError('RETURN.ALREADY_EXISTS', `Return ${command.returnId} already exists for another request`, {
      returnId: command.returnId,
    });
  }
  if (state.status === 'cancelled') throw dropCancelled(state);
  if (state.status === 'completed') throw dropCompleted(state);
  if (!(RETURN_REASONS as readonly string[]).includes(command.reason)) {
    throw new DomainError('RETURN.INVALID_REASON', `reason must be one of ${RETURN_REASONS.join('|')}`, { reason: command.reason });
  }
  requireText(command.returnId, 'returnId');
  if (preOrder.handedOverAtMs === undefined || preOrder.status !== 'active') {
    throw new DomainError('RETURN.NOT_RETURNABLE', `Pre-order ${preOrder.preOrderId} has not been delivered or picked up`, {
      preOrderId: preOrder.preOrderId,
      handOver: preOrder.handOver,
    });
  }
  // A pre-order refunded through RequestRefund is not refunded again through a return.
  if (preOrder.refundRequested) {
    throw new DomainError(
      'RETURN.NOT_RETURNABLE',
      `Pre-order ${preOrder.preOrderId} has a refund requested; it is not returned for a second one`,
      {
        preOrderId: preOrder.preOrderId,
        refundRequested: true,
      },
    );
  }
  // One return per pre-order: returns cover the whole pre-order, a second one would refund twice.
  if (preOrder.returnId !== undefined) {
    throw new DomainError('RETURN.ALREADY_REQUESTED', `Pre-order ${preOrder.preOrderId} already has return ${preOrder.returnId}`, {
      preOrderId: preOrder.preOrderId,
      returnId: preOrder.returnId,
    });
  }
  const deadlineMs = preOrder.handedOverAtMs + state.definition.returnWindowDays * DAY_MS;
  if (instantOf(command.now) >= deadlineMs) {
    throw new DomainError('RETURN.WINDOW_EXPIRED', `The return window of pre-order ${preOrder.preOrderId} has expired`, {
      preOrderId: preOrder.preOrderId,
      deadline: new Date(deadlineMs).toISOString(),
    });
  }
  return [
    {
      type: 'ReturnRequested',
      data: {
        dropId: state.dropId,
        returnId: command.returnId,
        preOrderId: preOrder.preOrderId,
        reason: command.reason,
        requestedAt: command.now,
      },
    },
  ];
}

export function receiveReturn(command: ReceiveReturn, state: ExistingDrop): DropEvent[] {
  const found = returnOf(state, command.returnId);
  if (!(RETURN_CONDITIONS as readonly string[]).includes(command.condition)) {
    throw new DomainError('RETURN.INVALID_CONDITION', `condition must be one of ${RETURN_CONDITIONS.join('|')}`, {
      condition: command.condition,
    });
  }
  switch (found.status) {
    case 'requested':
      instantOf(command.now);
      return [
        {
          type: 'ReturnReceived',
          data: {
            dropId: state.dropId,
            returnId: found.returnId,
            preOrderId: found.preOrderId,
            condition: command.condition,
            receivedAt: command.now,
          },
        },
      ];
    case 'received':
    case 'refunded':
      if (found.condition === command.condition) return [];
      throw new DomainError('RETURN.INVALID_STATE', `Return ${found.returnId} was already received as ${found.condition}`, {
        returnId: found.returnId,
        condition: found.condition,
      });
    default:
      return assertNever(found.status);
  }
}

export function recordReturnRefunded(command: RecordReturnRefunded, state: ExistingDrop): DropEvent[] {
  const found = returnOf(state, command.returnId);
  switch (found.status) {
    case 'requested':
      throw new DomainError('RETURN.NOT_RECEIVED', `Return ${found.returnId} has not been received`, { returnId: found.returnId });
    case 'refunded':
      if (found.providerRef === command.providerRef) return [];
      throw new DomainError('RETURN.ALREADY_REFUNDED', `Return ${found.returnId} was already refunded`, {
        returnId: found.returnId,
        providerRef: found.providerRef,
      });
    case 'received':
      break;
    default:
      return assertNever(found.status);
  }
  requireText(command.providerRef, 'providerRef');
  const preOrder = preOrderOf(state, found.preOrderId);
  // Refunds of both kinds together never exceed what the pre-order cost: the provider's own
  // refunds of it (PaymentRefunded) leave that much less for the return.
  const refunded = preOrder.payment?.refunded ?? 0;
  if (!isPositiveInt(command.amount) || command.amount + refunded > preOrder.total) {
    throw new DomainError(
      'RETURN.INVALID_AMOUNT',
      `amount must be a positive integer up to ${preOrder.total - refunded} (the pre-order total ${preOrder.total}, less ${refunded} already refunded)`,
      { amount: command.amount, total: preOrder.total, refunded },
    );
  }
  instantOf(command.now);
  return [
    {
      type: 'ReturnRefunded',
      data: {
        dropId: state.dropId,
        returnId: found.returnId,
        preOrderId: found.preOrderId,
        amount: command.amount,
        currency: state.definition.currency,
        providerRef: command.providerRef,
        refundedAt: command.now,
      },
    },
  ];
}

/** The events this sub-decider evolves. */
export const returnEventTypes = ['ReturnRequested', 'ReturnReceived', 'ReturnRefunded'] as const;
export type ReturnEventType = (typeof returnEventTypes)[number];

/** Applies one Returns event (see dropDecider for the linear-state contract). */
export function evolveReturns(state: DropState, event: Extract<DropEvent, { type: ReturnEventType }>): DropState {
  switch (event.type) {
    case 'ReturnRequested': {
      const s = afterScheduled(state, event);
      const { returnId, preOrderId, reason, requestedAt } = event.data;
      s.returns.set(returnId, { returnId, preOrderId, reason, status: 'requested', requestedAt });
      s.openReturns++;
      const record = s.preOrders.get(preOrderId);
      if (record) record.returnId = returnId;
      return s;
    }
    case 'ReturnReceived': {
      const s = afterScheduled(state, event);
      const found = s.returns.get(event.data.returnId);
      if (found) {
        found.status = 'received';
        found.condition = event.data.condition;
      }
      return s;
    }
    case 'ReturnRefunded': {
      const s = afterScheduled(state, event);
      const found = s.returns.get(event.data.returnId);
      if (found && found.status !== 'refunded') {
        found.status = 'refunded';
        found.providerRef = event.data.providerRef;
        found.refundedAmount = event.data.amount;
        s.openReturns--;
      }
      return s;
    }
    default:
      return assertNever(event);
  }
}
