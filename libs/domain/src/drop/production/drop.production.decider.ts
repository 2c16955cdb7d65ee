import { DomainError } from '../../decider';
import { allocateRun, waitingForGoods } from '../drop.allocation';
import type { CompleteProductionRun, RequestProductionRun, StartProductionRun } from '../drop.commands';
import { afterScheduled, dropCancelled, dropCompleted, instantOf } from '../drop.decide-support';
import type { DropEvent } from '../drop.events';
import { dropIdOf, productionRunIdFor } from '../drop.ids';
import { assertNever, DropState, ExistingDrop } from '../drop.state';

function requireTipped(state: ExistingDrop): void {
  switch (state.status) {
    case 'tipped':
    case 'in-production':
    case 'fulfilling':
      return;
    case 'scheduled':
    case 'early-access':
    case 'open':
    case 'closed':
      throw new DomainError('DROP.TIPPING_POINT_NOT_REACHED', `Drop ${state.dropId} has not reached its tipping point`, {
        dropStatus: state.status,
      });
    case 'completed':
      throw dropCompleted(state);
    case 'cancelled':
      throw dropCancelled(state);
    default:
      return assertNever(state);
  }
}

/** The entries of `units` that are not zero, by SKU (for comparing two reports of a run). */
function nonZero(units: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(units)
      .filter(([, n]) => n !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function unitsBySkuOf(
  state: ExistingDrop,
  units: Record<string, number> | undefined,
  field: string,
  allowZero: boolean,
): Record<string, number> {
  if (typeof units !== 'object' || units === null || Array.isArray(units)) {
    throw new DomainError('PRODUCTION.INVALID_UNITS', `${field} must map SKUs to units`, { field });
  }
  const out: Record<string, number> = {};
  for (const [sku, count] of Object.entries(units)) {
    if (!state.skus.has(sku)) throw new DomainError('DROP.UNKNOWN_SKU', `Drop ${state.dropId} has no SKU ${sku}`, { sku, field });
    const valid = Number.isSafeInteger(count) && (allowZero ? count >= 0 : count > 0);
    if (!valid)
      throw new DomainError('PRODUCTION.INVALID_UNITS', `${field}.${sku} must be a ${allowZero ? 'non-negative' : 'positive'} integer`, {
        field: `${field}.${sku}`,
      });
    out[sku] = count;
  }
  return out;
}

export function requestProductionRun(command: RequestProductionRun, state: ExistingDrop): DropEvent[] {
  requireTipped(state);
  const known = state.runs.get(command.runId);
  if (known) {
    if (sameUnits(known.unitsBySku, command.unitsBySku)) return [];
    throw new DomainError('PRODUCTION.RUN_ALREADY_EXISTS', `Run ${command.runId} already exists with other units`, {
      runId: command.runId,
    });
  }
  if (typeof command.runId !== 'string' || dropIdOf(command.runId) !== state.dropId || command.runId === state.dropId) {
    throw new DomainError('PRODUCTION.INVALID_RUN_ID', `Run ids of drop ${state.dropId} look like ${productionRunIdFor(state.dropId, 2)}`, {
      runId: command.runId,
    });
  }
  const unitsBySku = unitsBySkuOf(state, command.unitsBySku, 'unitsBySku', false);
  if (Object.keys(unitsBySku).length === 0)
    throw new DomainError('PRODUCTION.INVALID_UNITS', 'unitsBySku must name at least one SKU', { field: 'unitsBySku' });
  instantOf(command.now);
  return [
    {
      type: 'ProductionRunRequested',
      data: {
        dropId: state.dropId,
        runId: command.runId,
        microfactoryId: state.definition.production.microfactoryId,
        unitsBySku,
        requestedAt: command.now,
      },
    },
  ];
}

function sameUnits(a: Record<string, number>, b: Record<string, number> | undefined): boolean {
  if (!b) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function runOf(state: ExistingDrop, runId: string) {
  const run = state.runs.get(runId);
  if (!run) throw new DomainError('PRODUCTION.RUN_NOT_FOUND', `Run ${runId} does not exist`, { runId });
  return run;
}

export function startProductionRun(command: StartProductionRun, state: ExistingDrop): DropEvent[] {
  if (state.status === 'cancelled') throw dropCancelled(state);
  const run = runOf(state, command.runId);
  if (run.status !== 'requested') return [];
  requireTipped(state);
  instantOf(command.now);
  return [{ type: 'ProductionRunStarted', data: { dropId: state.dropId, runId: run.runId, startedAt: command.now } }];
}

export function completeProductionRun(command: CompleteProductionRun, state: ExistingDrop): DropEvent[] {
  if (state.status === 'cancelled') throw dropCancelled(state);
  const run = runOf(state, command.runId);
  switch (run.status) {
    case 'requested':
      throw new DomainError('PRODUCTION.RUN_NOT_STARTED', `Run ${run.runId} has not started`, { runId: run.runId });
    case 'completed':
    case 'started':
      break;
    default:
      return assertNever(run.status);
  }
  const producedBySku = unitsBySkuOf(state, command.producedBySku, 'producedBySku', true);
  const rejectedBySku = unitsBySkuOf(state, command.rejectedBySku ?? {}, 'rejectedBySku', true);
  if (run.status === 'completed') {
    // A retry of the completion is a no-op; other counts for a completed run are a conflict, not
    // something to drop silently (runs completed before the counts were kept take any retry).
    const same = (a: Record<string, number>, b: Record<string, number> | undefined) =>
      b === undefined || JSON.stringify(nonZero(a)) === JSON.stringify(nonZero(b));
    if (same(producedBySku, run.producedBySku) && same(rejectedBySku, run.rejectedBySku)) return [];
    throw new DomainError('PRODUCTION.RUN_ALREADY_COMPLETED', `Run ${run.runId} was completed with other counts`, {
      runId: run.runId,
      producedBySku: run.producedBySku,
      rejectedBySku: run.rejectedBySku,
    });
  }
  instantOf(command.now);

  const goodBySku: Record<string, number> = {};
  for (const sku of new Set([...Object.keys(producedBySku), ...Object.keys(rejectedBySku)])) {
    const good = (producedBySku[sku] ?? 0) - (rejectedBySku[sku] ?? 0);
    if (good < 0)
      throw new DomainError('PRODUCTION.INVALID_UNITS', `More ${sku} rejected than produced`, { field: `rejectedBySku.${sku}` });
    goodBySku[sku] = good;
  }

  // The allocation rule (strict acceptance order per SKU) lives in allocateRun: evolve and every
  // consumer apply it again to what they know, so the event names no pre-order.
  const allocation = allocateRun(goodBySku, waitingForGoods(state));
  return [
    {
      type: 'ProductionRunCompleted',
      data: {
        dropId: state.dropId,
        runId: run.runId,
        producedBySku,
        rejectedBySku,
        goodBySku,
        surplusBySku: allocation.surplusBySku,
        coveredPreOrderCount: allocation.covered.length,
        uncoveredPreOrderCount: allocation.uncovered.length,
        completedAt: command.now,
      },
    },
  ];
}

function tipped(state: ExistingDrop): { closedAt: string; tippedAt: string } {
  if (state.closedAt === undefined || state.tippedAt === undefined)
    throw new Error(`Corrupt drop stream ${state.dropId}: production before the tipping point`);
  return { closedAt: state.closedAt, tippedAt: state.tippedAt };
}

/** The events this sub-decider evolves. */
export const productionEventTypes = ['ProductionRunRequested', 'ProductionRunStarted', 'ProductionRunCompleted'] as const;
export type ProductionEventType = (typeof productionEventTypes)[number];

/** Applies one Production event (see dropDecider for the linear-state contract). */
export function evolveProduction(state: DropState, event: Extract<DropEvent, { type: ProductionEventType }>): DropState {
  switch (event.type) {
    case 'ProductionRunRequested': {
      const s = afterScheduled(state, event);
      const { runId, unitsBySku, requestedAt } = event.data;
      s.runs.set(runId, { runId, unitsBySku, status: 'requested', requestedAt });
      return s;
    }
    case 'ProductionRunStarted': {
      const s = afterScheduled(state, event);
      const run = s.runs.get(event.data.runId);
      if (run) {
        run.status = 'started';
        run.startedAt = event.data.startedAt;
      }
      if (s.status === 'tipped') return { ...s, status: 'in-production', ...tipped(s) };
      return s;
    }
    case 'ProductionRunCompleted': {
      const s = afterScheduled(state, event);
      const d = event.data;
      // The same rule on the same state as when it was decided, so the same pre-orders. The counts
      // in the event (from the id lists, for a v1 event) prove it: a mismatch is a corrupt stream.
      const allocation = allocateRun(d.goodBySku, waitingForGoods(s));
      if (allocation.covered.length !== d.coveredPreOrderCount || allocation.uncovered.length !== d.uncoveredPreOrderCount) {
        throw new Error(
          `Corrupt drop stream ${s.dropId}: ${d.runId} covered ${d.coveredPreOrderCount} and left ${d.uncoveredPreOrderCount} waiting, ` +
            `the allocation rule gives ${allocation.covered.length} and ${allocation.uncovered.length}`,
        );
      }
      for (const record of allocation.covered) record.coveredByRunId = d.runId;
      const run = s.runs.get(d.runId);
      if (run) {
        run.status = 'completed';
        run.completedAt = d.completedAt;
        run.coveredPreOrders = d.coveredPreOrderCount;
        run.producedBySku = d.producedBySku;
        run.rejectedBySku = d.rejectedBySku;
      }
      if (s.status === 'in-production' || s.status === 'tipped') return { ...s, status: 'fulfilling', ...tipped(s) };
      return s;
    }
    default:
      return assertNever(event);
  }
}
