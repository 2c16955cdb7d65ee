import { DomainError } from '../../decider';
import type { AddDropMembers, OpenAccessPhase, PlacePreOrder, RemoveDropMembers } from '../drop.commands';
import { MAX_MEMBERS_PER_COMMAND, MAX_MEMBERS_PER_DROP } from '../drop.commands';
import { afterScheduled, instantOf, requireText } from '../drop.decide-support';
import type { PhasePlan } from '../drop.definition';
import type { AccessPhaseOpened, DropEvent } from '../drop.events';
import { assertNever, DropCore, DropState, ExistingDrop } from '../drop.state';
import { admits } from '../drop.status-table';

// Access phases: who may buy when, and how many units each phase may sell. The hot path asks
// `phaseAdmits` (O(phases), at most MAX_ACCESS_PHASES) and `availableInPhase` (O(1)).

/** True when the buyer belongs to `phase`'s audience. Members and city are lookups, never scans. */
function inAudience(state: DropCore, phase: PhasePlan, command: PlacePreOrder): boolean {
  switch (phase.audience) {
    case 'everyone':
      return true;
    case 'members':
      return state.members.has(command.customerId);
    case 'repeat-customers':
      return command.isRepeatCustomer === true;
    case 'city':
      // The token's city claim, or a pickup at one of the drop's own locations (checked before this).
      return (command.buyerCity !== undefined && command.buyerCity === state.definition.city) || command.fulfillment?.method === 'pickup';
    default:
      return assertNever(phase.audience);
  }
}

/** Index of the first phase whose audience admits the buyer (the public window admits everyone). */
export function earliestPhaseFor(state: DropCore, command: PlacePreOrder): number {
  const phases = state.phases;
  for (let i = 0; i < phases.length; i++) if (inAudience(state, phases[i], command)) return i;
  return phases.length - 1;
}

/**
 * Refuses a buyer the open phase does not admit: a phase admits its own audience and every earlier
 * phase's (a member may buy in every later phase). Ineligible buyers learn their earliest phase and
 * when it opens: DROP.PHASE_NOT_OPEN, or DROP.EARLY_ACCESS_ONLY while a repeat-customers phase is
 * open (the code clients of the `earlyAccess` shorthand know).
 */
export function admitToOpenPhase(state: DropCore, command: PlacePreOrder): void {
  const earliest = earliestPhaseFor(state, command);
  if (earliest <= state.phaseIndex) return;
  const open = state.phases[state.phaseIndex];
  const theirs = state.phases[earliest];
  const details = { phase: theirs.name, opensAt: theirs.opensAt, openPhase: open.name };
  if (open.audience === 'repeat-customers') {
    throw new DomainError('DROP.EARLY_ACCESS_ONLY', `Drop ${state.dropId} is in early access for repeat customers`, details);
  }
  throw new DomainError(
    'DROP.PHASE_NOT_OPEN',
    `Drop ${state.dropId} is in its ${open.name} phase; this buyer may buy from the ${theirs.name} phase at ${theirs.opensAt}`,
    details,
  );
}

/** The phase the buyer may first buy in, for a drop nothing has opened yet. */
export function firstPhaseFor(state: DropCore, command: PlacePreOrder): PhasePlan {
  return state.phases[earliestPhaseFor(state, command)];
}

export function openAccessPhase(command: OpenAccessPhase, state: ExistingDrop): DropEvent[] {
  // A phase the drop does not have is an error in every status (not a no-op once the window is open).
  const last = state.phases.length - 1;
  const target = state.phases.findIndex((p) => p.name === command.phase);
  if (target < 0 || target === last) {
    throw new DomainError(
      'DROP.UNKNOWN_PHASE',
      target === last
        ? `${command.phase} is the public window: open it with POST /drops/${state.dropId}/open`
        : `Drop ${state.dropId} has no access phase ${String(command.phase)}`,
      { phase: command.phase, phases: state.phases.slice(0, last).map((p) => p.name) },
    );
  }
  if (!admits('OpenAccessPhase', state)) return [];
  const nowMs = instantOf(command.now);
  if (target <= state.phaseIndex) return [];
  const plan = state.phases[target];
  // The scheduler opens a phase at its time; only ops may open one early (by hand).
  if (command.manual !== true && nowMs < plan.opensAtMs) {
    throw new DomainError('DROP.TOO_EARLY', `Phase ${plan.name} opens at ${plan.opensAt}`, { phase: plan.name, opensAt: plan.opensAt });
  }
  // One event per phase, skipped ones included, so the history shows each with what rolled into it.
  const events: AccessPhaseOpened[] = [];
  const carry = new Map<string, number>();
  for (const tally of state.skus.values()) if (tally.allocationLeft !== undefined) carry.set(tally.sku, tally.allocationLeft);
  for (let i = state.phaseIndex + 1; i <= target; i++) {
    const phase = state.phases[i];
    const rolledOver: Record<string, number> = {};
    for (const [sku, units] of carry) if (units > 0 && phase.allocation?.[sku] !== undefined) rolledOver[sku] = units;
    const audience = phase.audience;
    if (audience === 'everyone') throw new Error(`Corrupt phase plan of drop ${state.dropId}: everyone before the public window`);
    events.push({
      type: 'AccessPhaseOpened',
      data: {
        dropId: state.dropId,
        phase: phase.name,
        audience,
        opensAt: phase.opensAt,
        trigger: command.manual === true ? 'ops' : 'schedule',
        rolledOver,
        openedAt: command.now,
      },
    });
    carry.clear();
    for (const [sku, units] of Object.entries(phase.allocation ?? {})) carry.set(sku, units + (rolledOver[sku] ?? 0));
  }
  return events;
}

function customerIdsOf(customerIds: unknown): string[] {
  if (!Array.isArray(customerIds) || customerIds.length === 0 || customerIds.length > MAX_MEMBERS_PER_COMMAND) {
    throw new DomainError('COMMAND.INVALID', `customerIds must list 1-${MAX_MEMBERS_PER_COMMAND} customer ids`, { field: 'customerIds' });
  }
  customerIds.forEach((id, i) => requireText(id, `customerIds[${i}]`));
  return customerIds as string[];
}

export function addDropMembers(command: AddDropMembers, state: ExistingDrop): DropEvent[] {
  if (!admits('AddDropMembers', state)) return [];
  const fresh = [...new Set(customerIdsOf(command.customerIds))].filter((id) => !state.members.has(id));
  if (fresh.length === 0) return [];
  if (state.members.size + fresh.length > MAX_MEMBERS_PER_DROP) {
    throw new DomainError('DROP.MEMBERS_LIMIT', `A drop has at most ${MAX_MEMBERS_PER_DROP} members`, {
      limit: MAX_MEMBERS_PER_DROP,
      members: state.members.size,
      requested: fresh.length,
    });
  }
  instantOf(command.now);
  const addedBy = requireText(command.actor?.subject, 'actor');
  return [{ type: 'DropMembersAdded', data: { dropId: state.dropId, customerIds: fresh, addedBy, addedAt: command.now } }];
}

export function removeDropMembers(command: RemoveDropMembers, state: ExistingDrop): DropEvent[] {
  if (!admits('RemoveDropMembers', state)) return [];
  const gone = [...new Set(customerIdsOf(command.customerIds))].filter((id) => state.members.has(id));
  if (gone.length === 0) return [];
  instantOf(command.now);
  const removedBy = requireText(command.actor?.subject, 'actor');
  return [{ type: 'DropMembersRemoved', data: { dropId: state.dropId, customerIds: gone, removedBy, removedAt: command.now } }];
}

// ---- evolve ----

/**
 * Opens every phase after the open one up to `target`, in order: each takes the units its
 * allocation reserved off `reservedLater` and adds what the phase before it left of its own
 * allocation; a SKU it does not allocate goes back to the unreserved rest. Linear in SKUs × phases.
 */
export function openPhasesThrough(state: DropCore, target: number, openedAt: string): void {
  for (let i = state.phaseIndex + 1; i <= target; i++) {
    const allocation = state.phases[i].allocation;
    for (const tally of state.skus.values()) {
      const units = allocation?.[tally.sku];
      if (units === undefined) {
        tally.allocationLeft = undefined;
        continue;
      }
      tally.reservedLater -= units;
      tally.allocationLeft = units + (tally.allocationLeft ?? 0);
    }
    state.phaseOpenedAt[i] = openedAt;
    state.phaseIndex = i;
  }
}

/** The events this sub-decider evolves. */
export const accessEventTypes = ['EarlyAccessOpened', 'AccessPhaseOpened', 'DropMembersAdded', 'DropMembersRemoved'] as const;
export type AccessEventType = (typeof accessEventTypes)[number];

/** Applies one access event (see dropDecider for the linear-state contract). */
export function evolveAccess(state: DropState, event: Extract<DropEvent, { type: AccessEventType }>): DropState {
  switch (event.type) {
    case 'EarlyAccessOpened': {
      // Upcast on read: a stored EarlyAccessOpened opens the `earlyAccess` shorthand's phase (index 0).
      const s = afterScheduled(state, event);
      openPhasesThrough(s, 0, event.data.openedAt);
      return { ...s, status: 'early-access', earlyAccessOpenedAt: s.earlyAccessOpenedAt ?? event.data.openedAt };
    }
    case 'AccessPhaseOpened': {
      const s = afterScheduled(state, event);
      const index = s.phases.findIndex((p) => p.name === event.data.phase);
      if (index < 0 || index === s.phases.length - 1)
        throw new Error(`Corrupt drop stream ${s.dropId}: no access phase ${event.data.phase}`);
      openPhasesThrough(s, index, event.data.openedAt);
      return { ...s, status: 'early-access', earlyAccessOpenedAt: s.earlyAccessOpenedAt ?? event.data.openedAt };
    }
    case 'DropMembersAdded': {
      const s = afterScheduled(state, event);
      for (const id of event.data.customerIds) s.members.add(id);
      return s;
    }
    case 'DropMembersRemoved': {
      const s = afterScheduled(state, event);
      for (const id of event.data.customerIds) s.members.delete(id);
      return s;
    }
    default:
      return assertNever(event);
  }
}
