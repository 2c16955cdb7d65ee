// Production runs and their allocation. (moved from drop.after-close.spec.ts)
import { closeCmd, DROP_ID, L, M, scheduled, T_DURING, windowOpened } from '../../testing/drop.fixtures';
import { eventsOf, given } from '../../testing/given-when-then';
import {
  po,
  RUN1,
  RUN2,
  T_START,
  T_DONE,
  cmd,
  sold,
  tipped,
  fulfilling,
  coveredBy,
  eventsOfAfter,
} from '../../testing/after-close.fixtures';
import { foldDrop } from '../../drop/drop.decider';
import type { ProductionRunCompleted } from '../../drop/drop.events';

describe('production runs', () => {
  it('RequestProductionRun asks for an extra run once tipped', () => {
    given(...tipped())
      .when(cmd.requestRun({ [M]: 2 }))
      .then([
        {
          type: 'ProductionRunRequested',
          data: { dropId: DROP_ID, runId: RUN2, microfactoryId: 'mf-bristol-1', unitsBySku: { [M]: 2 }, requestedAt: T_DONE },
        },
      ]);
  });

  it('RequestProductionRun returns [] for the same run asked again, and rejects the same id with other units', () => {
    const history = [...tipped(), ...eventsOfAfter(tipped(), cmd.requestRun({ [M]: 2 }))];
    given(...history)
      .when(cmd.requestRun({ [M]: 2 }))
      .then([]);
    given(...history)
      .when(cmd.requestRun({ [M]: 3 }))
      .thenRejects('PRODUCTION.RUN_ALREADY_EXISTS');
  });

  it('RequestProductionRun is refused before the tipping point and after cancellation', () => {
    given(scheduled(), windowOpened())
      .when(cmd.requestRun({ [M]: 2 }))
      .thenRejects('DROP.TIPPING_POINT_NOT_REACHED');
    given(scheduled(), { type: 'DropCancelled', data: { dropId: DROP_ID, reason: 'x', cancelledAt: T_DURING } })
      .when(cmd.requestRun({ [M]: 2 }))
      .thenRejects('DROP.CANCELLED');
  });

  it('RequestProductionRun validates SKUs, units and the run id', () => {
    given(...tipped())
      .when(cmd.requestRun({ 'HH-XXL': 2 }))
      .thenRejects('DROP.UNKNOWN_SKU');
    given(...tipped())
      .when(cmd.requestRun({ [M]: 0 }))
      .thenRejects('PRODUCTION.INVALID_UNITS');
    given(...tipped())
      .when(cmd.requestRun({}))
      .thenRejects('PRODUCTION.INVALID_UNITS');
    given(...tipped())
      .when(cmd.requestRun({ [M]: 1 }, 'other-drop.run.2'))
      .thenRejects('PRODUCTION.INVALID_RUN_ID');
  });

  it('StartProductionRun starts a requested run and moves the drop to in-production', () => {
    given(...tipped())
      .when(cmd.start())
      .then([{ type: 'ProductionRunStarted', data: { dropId: DROP_ID, runId: RUN1, startedAt: T_START } }]);
    expect(foldDrop(eventsOf(...sold(), closeCmd(), cmd.start())).status).toBe('in-production');
  });

  it('StartProductionRun returns [] when already started, rejects an unknown run', () => {
    given(...eventsOf(...sold(), closeCmd(), cmd.start()))
      .when(cmd.start())
      .then([]);
    given(...tipped())
      .when(cmd.start(RUN2))
      .thenRejects('PRODUCTION.RUN_NOT_FOUND');
  });

  it('CompleteProductionRun covers pre-orders in acceptance order and leaves the latest uncovered on a shortfall', () => {
    const history = eventsOf(...sold(), closeCmd(), cmd.start());
    const [completed] = given(...history)
      .when(cmd.complete({ [M]: 6, [L]: 1 }, { [M]: 1 }))
      .events() as ProductionRunCompleted[];
    expect(completed).toEqual({
      type: 'ProductionRunCompleted',
      data: {
        dropId: DROP_ID,
        runId: RUN1,
        producedBySku: { [M]: 6, [L]: 1 },
        rejectedBySku: { [M]: 1 },
        goodBySku: { [M]: 5, [L]: 1 },
        surplusBySku: { [M]: 2, [L]: 0 },
        coveredPreOrderCount: 3,
        uncoveredPreOrderCount: 2,
        completedAt: T_DONE,
      },
    });
    // The event names no pre-order; folding it applies the allocation rule to the state.
    expect(coveredBy(foldDrop([...history, completed]))).toEqual({ [RUN1]: [po(1), po(2), po(4)] });
  });

  it('CompleteProductionRun again: the same counts are a no-op, other counts a conflict naming the recorded ones', () => {
    const history = eventsOf(...sold(), closeCmd(), cmd.start(), cmd.complete({ [M]: 6, [L]: 1 }, { [M]: 1 }));
    given(...history)
      .when(cmd.complete({ [L]: 1, [M]: 6 }, { [M]: 1, [L]: 0 }))
      .then([]);
    given(...history)
      .when(cmd.complete({ [M]: 7, [L]: 1 }, { [M]: 1 }))
      .thenRejects('PRODUCTION.RUN_ALREADY_COMPLETED', { runId: RUN1, producedBySku: { [M]: 6, [L]: 1 }, rejectedBySku: { [M]: 1 } });
    given(...history)
      .when(cmd.complete({ [M]: 6, [L]: 1 }))
      .thenRejects('PRODUCTION.RUN_ALREADY_COMPLETED');
  });

  it('the first completion moves the drop to fulfilling; a later run covers what is left', () => {
    expect(foldDrop(fulfilling()).status).toBe('fulfilling');
    const history = [...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.requestRun({ [M]: 4 }), cmd.start(RUN2))];
    const [completed] = given(...history)
      .when(cmd.complete({ [M]: 4 }, {}, RUN2))
      .events() as ProductionRunCompleted[];
    expect(completed.data).toMatchObject({ coveredPreOrderCount: 2, uncoveredPreOrderCount: 0, surplusBySku: { [M]: 0 } });
    expect(coveredBy(foldDrop([...history, completed]))).toEqual({ [RUN1]: [po(1), po(2), po(4)], [RUN2]: [po(3), po(5)] });
  });

  it('does not allocate goods to pre-orders with a refund requested', () => {
    const history = eventsOf(...sold(), closeCmd(), cmd.refund(1), cmd.start());
    const [completed] = given(...history)
      .when(cmd.complete({ [M]: 10, [L]: 1 }))
      .events() as ProductionRunCompleted[];
    expect(completed.data).toMatchObject({ coveredPreOrderCount: 4, uncoveredPreOrderCount: 0 });
    expect(coveredBy(foldDrop([...history, completed]))).toEqual({ [RUN1]: [po(2), po(3), po(4), po(5)] });
  });

  it('refuses to fold a completion whose counts the allocation rule does not give (a corrupt stream)', () => {
    const history = eventsOf(...sold(), closeCmd(), cmd.start());
    const [completed] = given(...history)
      .when(cmd.complete({ [M]: 6, [L]: 1 }, { [M]: 1 }))
      .events() as ProductionRunCompleted[];
    const forged = { ...completed, data: { ...completed.data, coveredPreOrderCount: 4, uncoveredPreOrderCount: 1 } };
    expect(() => foldDrop([...history, forged])).toThrow(/Corrupt drop stream .*covered 4 .*gives 3 and 2/);
  });

  it('CompleteProductionRun returns [] when already completed, rejects a run not started and bad units', () => {
    given(...fulfilling())
      .when(cmd.complete({ [M]: 6, [L]: 1 }, { [M]: 1 }))
      .then([]);
    given(...tipped())
      .when(cmd.complete({ [M]: 6 }))
      .thenRejects('PRODUCTION.RUN_NOT_STARTED');
    given(...tipped())
      .when(cmd.complete({ [M]: 6 }, {}, RUN2))
      .thenRejects('PRODUCTION.RUN_NOT_FOUND');
    const started = eventsOf(...sold(), closeCmd(), cmd.start());
    given(...started)
      .when(cmd.complete({ [M]: 1 }, { [M]: 2 }))
      .thenRejects('PRODUCTION.INVALID_UNITS', { field: `rejectedBySku.${M}` });
    given(...started)
      .when(cmd.complete({ [M]: -1 }))
      .thenRejects('PRODUCTION.INVALID_UNITS');
  });
});
