import { DomainError } from '../decider';
import type { DropCommand } from './drop.commands';
import { parseInstant } from './drop.definition';
import { assertNever, completionBlocker, DAY_MS, DropState } from './drop.state';

/**
 * RefundRequested events per RequestRefunds. A RefundRequested payload is about 250 bytes, so
 * 1 000 of them stay far below EventStoreDB's 1 MiB append limit.
 */
export const DEFAULT_REFUND_BATCH_SIZE = 1000;

/** Options of dueCommands. */
export interface DueCommandsOptions {
  refundBatchSize?: number;
}

/**
 * The timed commands due at `now`, derived only from stored state so a durable scheduler can
 * recompute them after a restart. A scheduler that was down past closesAt gets ClosePreOrderWindow
 * directly (never an open followed by a close). Deciding each returned command in turn is safe:
 * each one is idempotent.
 */
export function dueCommands(state: DropState, now: string, options: DueCommandsOptions = {}): DropCommand[] {
  const nowMs = parseInstant(now);
  if (Number.isNaN(nowMs)) throw new DomainError('COMMAND.INVALID_NOW', `now must be an ISO-8601 instant, got ${now}`, { now });
  switch (state.status) {
    case 'initial':
      return [];
    case 'scheduled':
    case 'early-access': {
      const dropId = state.dropId;
      if (nowMs >= state.closesAtMs) return [{ type: 'ClosePreOrderWindow', dropId, now }];
      if (nowMs >= state.opensAtMs) return [{ type: 'OpenPreOrderWindow', dropId, now }];
      // The latest access phase due: opening it opens any earlier one the scheduler missed.
      const phases = state.phases;
      for (let i = phases.length - 2; i > state.phaseIndex; i--) {
        if (nowMs >= phases[i].opensAtMs) return [{ type: 'OpenAccessPhase', dropId, now, phase: phases[i].name }];
      }
      return [];
    }
    case 'open':
      return nowMs >= state.closesAtMs ? [{ type: 'ClosePreOrderWindow', dropId: state.dropId, now }] : [];
    case 'cancelled':
      return state.pendingRefunds > 0
        ? [{ type: 'RequestRefunds', dropId: state.dropId, now, maxCount: options.refundBatchSize ?? DEFAULT_REFUND_BATCH_SIZE }]
        : [];
    case 'fulfilling':
      return completionBlocker(state, nowMs) === undefined ? [{ type: 'CompleteDrop', dropId: state.dropId, now }] : [];
    case 'closed':
      // A stream cut between PreOrderWindowClosed and its tipping decision: closing again finishes it.
      return [{ type: 'ClosePreOrderWindow', dropId: state.dropId, now }];
    case 'tipped':
    case 'in-production':
    case 'completed':
      return [];
    default:
      return assertNever(state);
  }
}

/**
 * The next instant at which dueCommands may return something new without any new event
 * (an access phase, the public window, the close), or undefined when only events can change the answer.
 */
export function nextDueAt(state: DropState): string | undefined {
  switch (state.status) {
    case 'scheduled':
    case 'early-access':
      // The next phase (the public window is the last one).
      return state.phases[state.phaseIndex + 1].opensAt;
    case 'open':
      return state.definition.window.closesAt;
    case 'fulfilling':
      return state.lastHandOverAtMs === undefined
        ? undefined
        : new Date(state.lastHandOverAtMs + state.definition.returnWindowDays * DAY_MS).toISOString();
    case 'initial':
    case 'closed':
    case 'tipped':
    case 'in-production':
    case 'completed':
    case 'cancelled':
      return undefined;
    default:
      return assertNever(state);
  }
}
