import { DomainError } from '../decider';
import { STAFF_ACTING_FOR_CUSTOMERS } from './drop.commands';
import type { Actor, DropCommand } from './drop.commands';
import { parseInstant } from './drop.definition';
import type { DropEvent } from './drop.events';
import type { DropCore, DropState, ExistingDrop, PreOrderRecord } from './drop.state';

// Helpers shared by the sub-deciders (decide and evolve); not part of the public API.

export function existing(state: DropState, command: DropCommand): ExistingDrop {
  if (state.status !== 'initial') return state;
  // A customer's commands name a pre-order: a missing drop answers like a missing pre-order of an
  // existing one, so a guessed `<dropId>.po.<n>` does not tell whether that drop exists.
  if (command.type === 'CancelPreOrder' || command.type === 'RequestReturn') throw preOrderNotFound(command.preOrderId);
  throw dropNotFound(command.dropId);
}

/** The answer for a drop that does not exist, and, to anyone but staff, for one not yet public. */
export function dropNotFound(dropId: string): DomainError {
  return new DomainError('DROP.NOT_FOUND', `Drop ${dropId} does not exist`, { dropId });
}

/**
 * Whether the drop is public: ops announced it, or an access phase or its window opened (the
 * storefront's `announced`, from the same events). A cancelled drop stays as public as it was.
 */
export function isPublic(state: ExistingDrop): boolean {
  return (
    state.announcedAt !== undefined || state.phaseIndex >= 0 || state.earlyAccessOpenedAt !== undefined || state.openedAt !== undefined
  );
}

/** Whether `actor` is staff that acts for customers (ops): they see every drop and pre-order. */
export function actsForCustomers(actor: Actor | undefined): boolean {
  return actor !== undefined && actor.roles.some((role) => STAFF_ACTING_FOR_CUSTOMERS.includes(role));
}

export function instantOf(now: string): number {
  const ms = parseInstant(now);
  if (Number.isNaN(ms)) throw new DomainError('COMMAND.INVALID_NOW', `now must be an ISO-8601 instant, got ${String(now)}`, { now });
  return ms;
}

export function dropCancelled(state: ExistingDrop): DomainError {
  return new DomainError('DROP.CANCELLED', `Drop ${state.dropId} is cancelled`, { dropId: state.dropId });
}

/**
 * The books of a completed drop are closed: nothing is returned after them. (A hand-over after
 * completion is still recorded: the parcel arrived, and its fulfillment task must close.)
 */
export function dropCompleted(state: ExistingDrop): DomainError {
  return new DomainError('DROP.COMPLETED', `Drop ${state.dropId} is completed`, { dropStatus: state.status });
}

export function isPositiveInt(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

export function requireText(value: unknown, field: string, code = 'COMMAND.INVALID'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new DomainError(code, `${field} must be a non-empty string`, { field });
  return value;
}

function preOrderNotFound(preOrderId: string): DomainError {
  return new DomainError('PREORDER.NOT_FOUND', `Pre-order ${preOrderId} does not exist`, { preOrderId });
}

export function preOrderOf(state: ExistingDrop, preOrderId: string): PreOrderRecord {
  const preOrder = state.preOrders.get(preOrderId);
  if (!preOrder) throw preOrderNotFound(preOrderId);
  return preOrder;
}

/**
 * The pre-order `actor` may act on: their own, or any for staff acting for customers.
 * Someone else's is refused exactly like a missing one (same code, same details), so a
 * guessed or leaked pre-order id reveals nothing. Decided here, against the state the
 * command is decided on: a guard reading the stored state missed pre-orders still in an
 * in-flight batch and let strangers cancel them.
 */
export function ownedPreOrderOf(state: ExistingDrop, preOrderId: string, actor: Actor | undefined): PreOrderRecord {
  const preOrder = state.preOrders.get(preOrderId);
  if (!preOrder || !actor || !mayActFor(actor, preOrder.customerId)) throw preOrderNotFound(preOrderId);
  return preOrder;
}

function mayActFor(actor: Actor, customerId: string): boolean {
  return actor.subject === customerId || actsForCustomers(actor);
}

export function refundRequested(state: DropCore, preOrder: PreOrderRecord, reason: string, now: string): DropEvent {
  return {
    type: 'RefundRequested',
    data: {
      dropId: state.dropId,
      preOrderId: preOrder.preOrderId,
      customerId: preOrder.customerId,
      amount: preOrder.total,
      currency: state.definition.currency,
      reason,
      requestedAt: now,
    },
  };
}

export function afterScheduled(state: DropState, event: DropEvent): ExistingDrop {
  if (state.status === 'initial') throw new Error(`Corrupt drop stream: ${event.type} before DropScheduled`);
  return state;
}

export function advanceRefundCursor(state: ExistingDrop): void {
  while (state.refundCursor < state.acceptance.length) {
    const preOrder = state.acceptance[state.refundCursor];
    if (preOrder.status === 'active' && !preOrder.refundRequested) return;
    state.refundCursor++;
  }
}
