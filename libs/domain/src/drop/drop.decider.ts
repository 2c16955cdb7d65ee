import { Decider } from '../decider';
import type { DropCommand } from './drop.commands';
import { existing } from './drop.decide-support';
import type { DropEvent } from './drop.events';
import { assertNever, DropState } from './drop.state';
import { evolveHandOver, confirmDelivery, confirmPickup, dispatchShipment, markReadyForPickup } from './hand-over/drop.hand-over.decider';
import {
  announceDrop,
  cancelDrop,
  closePreOrderWindow,
  completeDrop,
  evolveLifecycle,
  openPreOrderWindow,
  requestRefunds,
  reviseDrop,
  scheduleDrop,
} from './lifecycle/drop.lifecycle.decider';
import { addDropMembers, evolveAccess, openAccessPhase, removeDropMembers } from './access/drop.access.decider';
import { evolvePayments, recordPayment, requestRefund } from './payments/drop.payments.decider';
import { cancelPreOrder, evolvePreOrders, placePreOrder } from './pre-orders/drop.pre-orders.decider';
import { completeProductionRun, evolveProduction, requestProductionRun, startProductionRun } from './production/drop.production.decider';
import { evolveReturns, receiveReturn, recordReturnRefunded, requestReturn } from './returns/drop.returns.decider';

export { DROP_CANCELLED_REFUND_REASON, MOQ_NOT_MET_REASON } from './lifecycle/drop.lifecycle.decider';

// The Drop aggregate, composed from one sub-decider per sub-domain: lifecycle, access, pre-orders,
// payments, production, hand-over and returns. Each owns its commands' decide and its events'
// evolve; which lifecycle status allows which command is declared in drop.status-table.ts.

/** Returns the events `command` causes in `state`; [] when nothing is left to do; throws DomainError. */
export function decide(command: DropCommand, state: DropState): DropEvent[] {
  switch (command.type) {
    // lifecycle
    case 'ScheduleDrop':
      return scheduleDrop(command, state);
    case 'ReviseDrop':
      return reviseDrop(command, existing(state, command));
    case 'AnnounceDrop':
      return announceDrop(command, existing(state, command));
    // access
    case 'OpenAccessPhase':
      return openAccessPhase(command, existing(state, command));
    case 'AddDropMembers':
      return addDropMembers(command, existing(state, command));
    case 'RemoveDropMembers':
      return removeDropMembers(command, existing(state, command));
    case 'OpenPreOrderWindow':
      return openPreOrderWindow(command, existing(state, command));
    case 'ClosePreOrderWindow':
      return closePreOrderWindow(command, existing(state, command));
    case 'CancelDrop':
      return cancelDrop(command, existing(state, command));
    case 'RequestRefunds':
      return requestRefunds(command, existing(state, command));
    case 'CompleteDrop':
      return completeDrop(command, existing(state, command));
    // pre-orders
    case 'PlacePreOrder':
      return placePreOrder(command, existing(state, command));
    case 'CancelPreOrder':
      return cancelPreOrder(command, existing(state, command));
    // payments
    case 'RecordPaymentAuthorized':
    case 'RecordPaymentCaptured':
    case 'RecordPaymentFailed':
    case 'RecordPaymentRefunded':
      return recordPayment(command, existing(state, command));
    case 'RequestRefund':
      return requestRefund(command, existing(state, command));
    // production
    case 'RequestProductionRun':
      return requestProductionRun(command, existing(state, command));
    case 'StartProductionRun':
      return startProductionRun(command, existing(state, command));
    case 'CompleteProductionRun':
      return completeProductionRun(command, existing(state, command));
    // hand-over
    case 'DispatchShipment':
      return dispatchShipment(command, existing(state, command));
    case 'ConfirmDelivery':
      return confirmDelivery(command, existing(state, command));
    case 'MarkReadyForPickup':
      return markReadyForPickup(command, existing(state, command));
    case 'ConfirmPickup':
      return confirmPickup(command, existing(state, command));
    // returns
    case 'RequestReturn':
      return requestReturn(command, existing(state, command));
    case 'ReceiveReturn':
      return receiveReturn(command, existing(state, command));
    case 'RecordReturnRefunded':
      return recordReturnRefunded(command, existing(state, command));
    default:
      return assertNever(command);
  }
}

/** The state before DropScheduled. */
export function initialState(): DropState {
  return { status: 'initial' };
}

/**
 * Applies one event. Mutates the collections inside `state` and returns either `state` itself or a
 * new status object sharing them (see dropDecider for why). Throws on a corrupt stream.
 */
export function evolve(state: DropState, event: DropEvent): DropState {
  switch (event.type) {
    case 'DropScheduled':
    case 'DropRevised':
    case 'DropAnnounced':
    case 'PreOrderWindowOpened':
    case 'PreOrderWindowClosed':
    case 'TippingPointReached':
    case 'DropCancelled':
    case 'DropCompleted':
      return evolveLifecycle(state, event);
    case 'EarlyAccessOpened':
    case 'AccessPhaseOpened':
    case 'DropMembersAdded':
    case 'DropMembersRemoved':
      return evolveAccess(state, event);
    case 'PreOrderPlaced':
    case 'PreOrderCancelled':
    case 'VariantSoldOut':
    case 'DropSoldOut':
      return evolvePreOrders(state, event);
    case 'RefundRequested':
    case 'PaymentAuthorized':
    case 'PaymentCaptured':
    case 'PaymentFailed':
    case 'PaymentRefunded':
      return evolvePayments(state, event);
    case 'ProductionRunRequested':
    case 'ProductionRunStarted':
    case 'ProductionRunCompleted':
      return evolveProduction(state, event);
    case 'ShipmentDispatched':
    case 'ReadyForPickup':
    case 'ShipmentDelivered':
    case 'PreOrderPickedUp':
      return evolveHandOver(state, event);
    case 'ReturnRequested':
    case 'ReturnReceived':
    case 'ReturnRefunded':
      return evolveReturns(state, event);
    default:
      return assertNever(event);
  }
}

/** Folds a whole stream into a fresh state (each call builds new collections). */
export function foldDrop(events: Iterable<DropEvent>, from: DropState = initialState()): DropState {
  let state = from;
  for (const event of events) state = evolve(state, event);
  return state;
}

/**
 * The Drop aggregate as a decider.
 *
 * PERFORMANCE TRADE-OFF — states are LINEAR. A hot drop decides 100 000+ PlacePreOrder commands in
 * a row against one cached state, so decide(PlacePreOrder) and evolve(PreOrderPlaced) are O(1):
 * per-SKU and per-customer counters are kept incrementally, and evolve MUTATES the Maps, arrays and
 * records inside the state it receives instead of copying them, returning the same object or a
 * new status object that shares them. Once a state has been passed to evolve, the old reference
 * must not be used again (it may show the new data or half of it). decide never mutates. If an
 * append fails after evolving a cached state, throw the cached state away and fold the stream again.
 */
export const dropDecider: Decider<DropState, DropCommand, DropEvent> = { initialState, decide, evolve };
