import { DomainError } from '../../decider';
import type {
  AnnounceDrop,
  CancelDrop,
  ClosePreOrderWindow,
  CompleteDrop,
  OpenPreOrderWindow,
  RequestRefunds,
  ReviseDrop,
  ScheduleDrop,
} from '../drop.commands';
import {
  accessPhasesOf,
  canonicalDefinition,
  DropDefinition,
  parseInstant,
  sameDefinition,
  validateDropDefinition,
} from '../drop.definition';
import { openPhasesThrough } from '../access/drop.access.decider';
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
  // Stored in RFC 3339 form: a minutes-only instant gains `:00` (and compares so with a stored one).
  const definition = canonicalDefinition(command.definition);
  if (state.status !== 'initial') {
    if (sameDefinition(state.definition, definition)) return [];
    throw new DomainError('DROP.ALREADY_EXISTS', `Drop ${state.dropId} already exists with another definition`, { dropId: state.dropId });
  }
  if (typeof command.dropId !== 'string' || !isValidDropId(command.dropId)) {
    throw new DomainError('DROP.INVALID_ID', 'dropId must match /^[A-Za-z0-9_-]{1,64}$/', { field: 'dropId' });
  }
  instantOf(command.now);
  validateDropDefinition(definition, command.now);
  // A copy, so a caller mutating its command object cannot reach into the stored state.
  return [{ type: 'DropScheduled', data: { dropId: command.dropId, definition: structuredClone(definition), scheduledAt: command.now } }];
}

// Which status allows which command is STATUS_TABLE's (drop.status-table.ts); the bodies below run
// only in the allowed statuses.

export function reviseDrop(command: ReviseDrop, state: ExistingDrop): DropEvent[] {
  const definition = canonicalDefinition(command.definition);
  if (!admits('ReviseDrop', state) || sameDefinition(state.definition, definition)) return [];
  instantOf(command.now);
  validateDropDefinition(definition, command.now);
  return [{ type: 'DropRevised', data: { dropId: state.dropId, definition: structuredClone(definition), revisedAt: command.now } }];
}

export function announceDrop(command: AnnounceDrop, state: ExistingDrop): DropEvent[] {
  if (!admits('AnnounceDrop', state) || state.announcedAt !== undefined) return [];
  instantOf(command.now);
  return [{ type: 'DropAnnounced', data: { dropId: state.dropId, announcedAt: command.now } }];
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

/**
 * The window closing at sell-out (`onSellOut: close`), decided together with the pre-order that
 * sold the last unit: the totals include it, every SKU's net units are its cap.
 */
export function closedAtSellOut(state: DropCore, quantity: number, now: string): DropEvent[] {
  const netUnits = state.netUnits + quantity;
  const unitsBySku: Record<string, number> = {};
  for (const tally of state.skus.values()) unitsBySku[tally.sku] = tally.cap;
  const totals = { unitsSold: state.unitsSold + quantity, netUnits, activePreOrders: state.activePreOrders + 1 };
  return [
    { type: 'PreOrderWindowClosed', data: { dropId: state.dropId, ...totals, closedAt: now } },
    ...tippingDecision({ dropId: state.dropId, definition: state.definition, runs: state.runs, netUnits, unitsBySku }, now),
  ];
}

function netUnitsBySku(state: DropCore): Record<string, number> {
  const unitsBySku: Record<string, number> = {};
  for (const tally of state.skus.values()) if (tally.net > 0) unitsBySku[tally.sku] = tally.net;
  return unitsBySku;
}

function tippingDecision(
  state: Pick<DropCore, 'dropId' | 'definition' | 'runs' | 'netUnits'> & { unitsBySku?: Record<string, number> },
  now: string,
): DropEvent[] {
  const moq = state.definition.minimumOrderQuantity;
  if (state.netUnits < moq) {
    return [{ type: 'DropCancelled', data: { dropId: state.dropId, reason: MOQ_NOT_MET_REASON, cancelledAt: now } }];
  }
  const unitsBySku = state.unitsBySku ?? netUnitsBySku(state as DropCore);
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
  state: Pick<DropCore, 'skus' | 'pickupDiscounts' | 'opensAtMs' | 'closesAtMs' | 'phases'>,
): void {
  state.phases = accessPhasesOf(definition);
  // Before any phase opens, every phase's allocation is reserved for later.
  const reserved = new Map<string, number>();
  for (const phase of state.phases)
    for (const [sku, units] of Object.entries(phase.allocation ?? {})) reserved.set(sku, (reserved.get(sku) ?? 0) + units);
  state.skus = new Map<string, SkuTally>(
    definition.variants.map((v) => [
      v.sku,
      { sku: v.sku, cap: v.editionCap, accepted: 0, net: 0, reservedLater: reserved.get(v.sku) ?? 0, allocationLeft: undefined },
    ]),
  );
  state.pickupDiscounts = new Map((definition.pickupLocations ?? []).map((p) => [p.locationId, p.discountPercent]));
  state.opensAtMs = parseInstant(definition.window.opensAt);
  state.closesAtMs = parseInstant(definition.window.closesAt);
}

/** The events this sub-decider evolves. */
export const lifecycleEventTypes = [
  'DropScheduled',
  'DropRevised',
  'DropAnnounced',
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
        phases: [],
        phaseIndex: -1,
        phaseOpenedAt: [],
        members: new Set(),
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
    case 'PreOrderWindowOpened': {
      const s = afterScheduled(state, event);
      // The public window is the last phase: whatever earlier phases left rolls into it.
      openPhasesThrough(s, s.phases.length - 1, event.data.openedAt);
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
