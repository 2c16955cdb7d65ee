import { DomainError } from '../../decider';
import type { ConfirmDelivery, ConfirmPickup, DispatchShipment, MarkReadyForPickup } from '../drop.commands';
import { parseInstant } from '../drop.definition';
import { afterScheduled, dropCancelled, instantOf, preOrderOf, requireText } from '../drop.decide-support';
import type { DropEvent } from '../drop.events';
import { assertNever, DropState, ExistingDrop, PreOrderRecord } from '../drop.state';

function handOverCandidate(state: ExistingDrop, preOrderId: string, method: 'ship' | 'pickup'): PreOrderRecord {
  if (state.status === 'cancelled') throw dropCancelled(state);
  const preOrder = preOrderOf(state, preOrderId);
  if (preOrder.status !== 'active')
    throw new DomainError('FULFILLMENT.INVALID_STATE', `Pre-order ${preOrderId} is cancelled`, {
      preOrderId,
      preOrderStatus: preOrder.status,
    });
  if (preOrder.fulfillment.method !== method) {
    throw new DomainError('FULFILLMENT.WRONG_METHOD', `Pre-order ${preOrderId} is for ${preOrder.fulfillment.method}`, {
      preOrderId,
      method: preOrder.fulfillment.method,
    });
  }
  if (preOrder.coveredByRunId === undefined) {
    throw new DomainError('FULFILLMENT.NOT_COVERED', `Pre-order ${preOrderId} is not covered by a completed production run`, {
      preOrderId,
    });
  }
  return preOrder;
}

function invalidHandOver(preOrder: PreOrderRecord, expected: string): DomainError {
  return new DomainError('FULFILLMENT.INVALID_STATE', `Pre-order ${preOrder.preOrderId} is ${preOrder.handOver}, expected ${expected}`, {
    preOrderId: preOrder.preOrderId,
    handOver: preOrder.handOver,
    expected,
  });
}

function refusedAfterRefund(preOrder: PreOrderRecord): DomainError {
  return new DomainError('FULFILLMENT.INVALID_STATE', `Pre-order ${preOrder.preOrderId} has a refund requested`, {
    preOrderId: preOrder.preOrderId,
    refundRequested: true,
  });
}

export function dispatchShipment(command: DispatchShipment, state: ExistingDrop): DropEvent[] {
  const preOrder = handOverCandidate(state, command.preOrderId, 'ship');
  switch (preOrder.handOver) {
    case 'awaiting':
      if (preOrder.refundRequested) throw refusedAfterRefund(preOrder);
      requireText(command.carrier, 'carrier');
      requireText(command.trackingNumber, 'trackingNumber');
      instantOf(command.now);
      return [
        {
          type: 'ShipmentDispatched',
          data: {
            dropId: state.dropId,
            preOrderId: preOrder.preOrderId,
            carrier: command.carrier,
            trackingNumber: command.trackingNumber,
            dispatchedAt: command.now,
          },
        },
      ];
    case 'dispatched':
    case 'delivered':
      if (preOrder.trackingNumber === command.trackingNumber) return [];
      throw invalidHandOver(preOrder, 'awaiting');
    case 'ready-for-pickup':
    case 'picked-up':
      throw invalidHandOver(preOrder, 'awaiting');
    default:
      return assertNever(preOrder.handOver);
  }
}

export function confirmDelivery(command: ConfirmDelivery, state: ExistingDrop): DropEvent[] {
  const preOrder = handOverCandidate(state, command.preOrderId, 'ship');
  switch (preOrder.handOver) {
    case 'dispatched':
      instantOf(command.now);
      return [{ type: 'ShipmentDelivered', data: { dropId: state.dropId, preOrderId: preOrder.preOrderId, deliveredAt: command.now } }];
    case 'delivered':
      return [];
    case 'awaiting':
    case 'ready-for-pickup':
    case 'picked-up':
      throw invalidHandOver(preOrder, 'dispatched');
    default:
      return assertNever(preOrder.handOver);
  }
}

export function markReadyForPickup(command: MarkReadyForPickup, state: ExistingDrop): DropEvent[] {
  const preOrder = handOverCandidate(state, command.preOrderId, 'pickup');
  const locationId = preOrder.fulfillment.method === 'pickup' ? preOrder.fulfillment.locationId : '';
  switch (preOrder.handOver) {
    case 'awaiting':
      if (preOrder.refundRequested) throw refusedAfterRefund(preOrder);
      instantOf(command.now);
      return [
        { type: 'ReadyForPickup', data: { dropId: state.dropId, preOrderId: preOrder.preOrderId, locationId, readyAt: command.now } },
      ];
    case 'ready-for-pickup':
    case 'picked-up':
      return [];
    case 'dispatched':
    case 'delivered':
      throw invalidHandOver(preOrder, 'awaiting');
    default:
      return assertNever(preOrder.handOver);
  }
}

export function confirmPickup(command: ConfirmPickup, state: ExistingDrop): DropEvent[] {
  const preOrder = handOverCandidate(state, command.preOrderId, 'pickup');
  const locationId = preOrder.fulfillment.method === 'pickup' ? preOrder.fulfillment.locationId : '';
  switch (preOrder.handOver) {
    case 'ready-for-pickup':
      instantOf(command.now);
      return [
        { type: 'PreOrderPickedUp', data: { dropId: state.dropId, preOrderId: preOrder.preOrderId, locationId, pickedUpAt: command.now } },
      ];
    case 'picked-up':
      return [];
    case 'awaiting':
    case 'dispatched':
    case 'delivered':
      throw invalidHandOver(preOrder, 'ready-for-pickup');
    default:
      return assertNever(preOrder.handOver);
  }
}

/** The events this sub-decider evolves. */
export const handOverEventTypes = ['ShipmentDispatched', 'ReadyForPickup', 'ShipmentDelivered', 'PreOrderPickedUp'] as const;
export type HandOverEventType = (typeof handOverEventTypes)[number];

/** Applies one HandOver event (see dropDecider for the linear-state contract). */
export function evolveHandOver(state: DropState, event: Extract<DropEvent, { type: HandOverEventType }>): DropState {
  switch (event.type) {
    case 'ShipmentDispatched': {
      const s = afterScheduled(state, event);
      const record = s.preOrders.get(event.data.preOrderId);
      if (record) {
        record.handOver = 'dispatched';
        record.trackingNumber = event.data.trackingNumber;
      }
      return s;
    }
    case 'ReadyForPickup': {
      const s = afterScheduled(state, event);
      const record = s.preOrders.get(event.data.preOrderId);
      if (record) record.handOver = 'ready-for-pickup';
      return s;
    }
    case 'ShipmentDelivered':
    case 'PreOrderPickedUp': {
      const s = afterScheduled(state, event);
      const record = s.preOrders.get(event.data.preOrderId);
      const at = parseInstant(event.type === 'ShipmentDelivered' ? event.data.deliveredAt : event.data.pickedUpAt);
      if (record) {
        record.handOver = event.type === 'ShipmentDelivered' ? 'delivered' : 'picked-up';
        record.handedOverAtMs = at;
      }
      if (s.lastHandOverAtMs === undefined || at > s.lastHandOverAtMs) s.lastHandOverAtMs = at;
      return s;
    }
    default:
      return assertNever(event);
  }
}
