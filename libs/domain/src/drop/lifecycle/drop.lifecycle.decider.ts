import { DomainError } from '../../decider';
import type {
  AnnounceDrop,
  CancelDrop,
  ClosePreOrderWindow,
  CompleteDrop,
  OpenEarlyAccess,
  OpenPreOrderWindow,
  RequestRefunds,
  ReviseDrop,
  ScheduleDrop,
} from '../drop.commands';
import { DropDefinition, parseInstant, sameDefinition, validateDropDefinition } from '../drop.definition';
import { afterScheduled, instantOf, isPositiveInt, refundRequested, requireText } from '../drop.decide-support';
import type { DropEvent } from '../drop.events';
import { isValidDropId, productionRunIdFor } from '../drop.ids';
import { assertNever, completionBlocker, DropCore, DropState, ExistingDrop, SkuTally } from '../drop.state';
import { admits } from '../drop.status-table';

/** Reason written into DropCancelled when the window closes below the minimum order quantity. */
export const MOQ_NOT_MET_REASON = 'minimum-order-quantity-not-met';
/** Reason written into RefundRequested by RequestRefunds after a cancellation. */
export const DROP_CANCELLED_REFUND_REASON = 'drop-cancelled';

// ---- decide ----

export function scheduleDrop(command: ScheduleDrop, state: DropState): DropEvent[] {
  if (state.status !== 'initial') {
    if (sameDefinition(state.definition, command.definition)) return [];
    throw new DomainError('DROP.ALREADY_EXISTS', `Drop ${state.dropId} already exists with another definition`, { dropId: state.dropId });
  }
  if (typeof command.dropId !== 'string' || !isValidDropId(command.dropId)) {
    throw new DomainError('DROP.INVALID_ID', 'dropId must match /^[A-Za-z0-9_-]{1,64}$/', { field: 'dropId' });
  }
  instantOf(command.now);
  validateDropDefinition(command.definition, command.now);
  // A copy, so a caller mutating its command object cannot reach into the stored state.
  return [
    { type: 'DropScheduled', data: { dropId: command.dropId, definition: structuredClone(command.definition), scheduledAt: command.now } },
  ];
}

// Which status allows which command is STATUS_TABLE's (drop.status-table.ts); the bodies below run
// only in the allowed statuses.

export function reviseDrop(command: ReviseDrop, state: ExistingDrop): DropEvent[] {
  if (!admits('ReviseDrop', state) || sameDefinition(state.definition, command.definition)) return [];
  instantOf(command.now);
  validateDropDefinition(command.definition, command.now);
  return [{ type: 'DropRevised', data: { dropId: state.dropId, definition: structuredClone(command.definition), revisedAt: command.now } }];
}

export function announceDrop(command: AnnounceDrop, state: ExistingDrop): DropEvent[] {
  if (!admits('AnnounceDrop', state) || state.announcedAt !== undefined) return [];
  instantOf(command.now);
  return [{ type: 'DropAnnounced', data: { dropId: state.dropId, announcedAt: command.now } }];
}

export function openEarlyAccess(command: OpenEarlyAccess, state: ExistingDrop): DropEvent[] {
  if (!admits('OpenEarlyAccess', state)) return [];
  const earlyAccess = state.definition.earlyAccess;
  if (!earlyAccess || state.earlyAccessOpensAtMs === undefined) {
    throw new DomainError('DROP.NO_EARLY_ACCESS', `Drop ${state.dropId} has no early access`, { dropId: state.dropId });
  }
  // Only the scheduler opens early access; opening it before its time would leak the drop.
  if (instantOf(command.now) < state.earlyAccessOpensAtMs) {
    throw new DomainError('DROP.TOO_EARLY', `Early access opens at ${earlyAccess.opensAt}`, { opensAt: earlyAccess.opensAt });
  }
  return [{ type: 'EarlyAccessOpened', data: { dropId: state.dropId, audience: earlyAccess.audience, openedAt: command.now } }];
}

export function openPreOrderWindow(command: OpenPreOrderWindow, state: ExistingDrop): DropEvent[] {
  if (!admits('OpenPreOrderWindow', state)) return [];
  instantOf(command.now);
  return [{ type: 'PreOrderWindowOpened', data: { dropId: state.dropId, openedAt: command.now } }];
}

export function closePreOrderWindow(command: ClosePreOrderWindow, state: ExistingDrop): DropEvent[] {
  if (!admits('ClosePreOrderWindow', state)) return [];
  // Only reachable if a stream holds PreOrderWindowClosed without its tipping decision.
  if (state.status === 'closed') return tippingDecision(state, command.now);
  instantOf(command.now);
  const { dropId, unitsSold, netUnits, activePreOrders } = state;
  const closed: DropEvent = { type: 'PreOrderWindowClosed', data: { dropId, unitsSold, netUnits, activePreOrders, closedAt: command.now } };
  return [closed, ...tippingDecision(state, command.now)];
}

function tippingDecision(state: DropCore, now: string): DropEvent[] {
  const moq = state.definition.minimumOrderQuantity;
  if (state.netUnits < moq) {
    return [{ type: 'DropCancelled', data: { dropId: state.dropId, reason: MOQ_NOT_MET_REASON, cancelledAt: now } }];
  }
  const unitsBySku: Record<string, number> = {};
  for (const tally of state.skus.values()) if (tally.net > 0) unitsBySku[tally.sku] = tally.net;
  return [
    { type: 'TippingPointReached', data: { dropId: state.dropId, netUnits: state.netUnits, minimumOrderQuantity: moq, reachedAt: now } },
    {
      type: 'ProductionRunRequested',
      data: {
        dropId: state.dropId,
        runId: productionRunIdFor(state.dropId, state.runs.size + 1),
        microfactoryId: state.definition.production.microfactoryId,
        unitsBySku,
        requestedAt: now,
      },
    },
  ];
}

export function cancelDrop(command: CancelDrop, state: ExistingDrop): DropEvent[] {
  if (!admits('CancelDrop', state)) return [];
  requireText(command.reason, 'reason');
  instantOf(command.now);
  return [{ type: 'DropCancelled', data: { dropId: state.dropId, reason: command.reason, cancelledAt: command.now } }];
}

export function requestRefunds(command: RequestRefunds, state: ExistingDrop): DropEvent[] {
  if (!admits('RequestRefunds', state)) return [];
  if (!isPositiveInt(command.maxCount))
    throw new DomainError('COMMAND.INVALID', 'maxCount must be a positive integer', { field: 'maxCount' });
  instantOf(command.now);
  const events: DropEvent[] = [];
  // refundCursor skips the prefix already handled, so looping over chunks stays linear overall.
  for (let i = state.refundCursor; i < state.acceptance.length && events.length < command.maxCount; i++) {
    const preOrder = state.acceptance[i];
    if (preOrder.status !== 'active' || preOrder.refundRequested) continue;
    events.push(refundRequested(state, preOrder, DROP_CANCELLED_REFUND_REASON, command.now));
  }
  return events;
}

export function completeDrop(command: CompleteDrop, state: ExistingDrop): DropEvent[] {
  if (!admits('CompleteDrop', state)) return [];
  const blocker = completionBlocker(state, instantOf(command.now));
  if (blocker !== undefined)
    throw new DomainError('DROP.NOT_COMPLETABLE', `Drop ${state.dropId} cannot complete: ${blocker}`, {
      reason: blocker,
      dropStatus: state.status,
    });
  return [{ type: 'DropCompleted', data: { dropId: state.dropId, completedAt: command.now } }];
}

// ---- evolve ----

function created(
  definition: DropDefinition,
  state: Pick<DropCore, 'skus' | 'pickupDiscounts' | 'opensAtMs' | 'closesAtMs' | 'earlyAccessOpensAtMs'>,
): void {
  state.skus = new Map<string, SkuTally>(definition.variants.map((v) => [v.sku, { sku: v.sku, cap: v.editionCap, accepted: 0, net: 0 }]));
  state.pickupDiscounts = new Map((definition.pickupLocations ?? []).map((p) => [p.locationId, p.discountPercent]));
  state.opensAtMs = parseInstant(definition.window.opensAt);
  state.closesAtMs = parseInstant(definition.window.closesAt);
  state.earlyAccessOpensAtMs = definition.earlyAccess ? parseInstant(definition.earlyAccess.opensAt) : undefined;
}

/** The events this sub-decider evolves. */
export const lifecycleEventTypes = [
  'DropScheduled',
  'DropRevised',
  'DropAnnounced',
  'EarlyAccessOpened',
  'PreOrderWindowOpened',
  'PreOrderWindowClosed',
  'TippingPointReached',
  'DropCancelled',
  'DropCompleted',
] as const;
export type LifecycleEventType = (typeof lifecycleEventTypes)[number];

/** Applies one Lifecycle event (see dropDecider for the linear-state contract). */
export function evolveLifecycle(state: DropState, event: Extract<DropEvent, { type: LifecycleEventType }>): DropState {
  switch (event.type) {
    case 'DropScheduled': {
      const { dropId, definition, scheduledAt } = event.data;
      const next: DropState = {
        status: 'scheduled',
        dropId,
        definition,
        scheduledAt,
        opensAtMs: 0,
        closesAtMs: 0,
        skus: new Map(),
        pickupDiscounts: new Map(),
        preOrders: new Map(),
        acceptance: [],
        customers: new Map(),
        unitsSold: 0,
        netUnits: 0,
        lastSequence: 0,
        activePreOrders: 0,
        soldOutSkus: 0,
        pendingRefunds: 0,
        refundCursor: 0,
        runs: new Map(),
        returns: new Map(),
        openReturns: 0,
      };
      created(definition, next);
      return next;
    }
    case 'DropRevised': {
      const s = afterScheduled(state, event);
      // Only possible while scheduled, i.e. before any pre-order: counters can be rebuilt empty.
      const next = { ...s, definition: event.data.definition };
      created(event.data.definition, next);
      return next;
    }
    case 'DropAnnounced': {
      const s = afterScheduled(state, event);
      return { ...s, announcedAt: event.data.announcedAt };
    }
    case 'EarlyAccessOpened': {
      const s = afterScheduled(state, event);
      return { ...s, status: 'early-access', earlyAccessOpenedAt: event.data.openedAt };
    }
    case 'PreOrderWindowOpened': {
      const s = afterScheduled(state, event);
      return { ...s, status: 'open', openedAt: event.data.openedAt };
    }
    case 'PreOrderWindowClosed': {
      const s = afterScheduled(state, event);
      return { ...s, status: 'closed', closedAt: event.data.closedAt };
    }
    case 'TippingPointReached': {
      const s = afterScheduled(state, event);
      const closedAt = s.closedAt ?? event.data.reachedAt;
      return { ...s, status: 'tipped', closedAt, tippedAt: event.data.reachedAt };
    }
    case 'DropCancelled': {
      const s = afterScheduled(state, event);
      return { ...s, status: 'cancelled', cancelledAt: event.data.cancelledAt, cancelReason: event.data.reason };
    }
    case 'DropCompleted': {
      const s = afterScheduled(state, event);
      return { ...s, status: 'completed', completedAt: event.data.completedAt };
    }
    default:
      return assertNever(event);
  }
}
