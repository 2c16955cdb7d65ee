import { aDefinition, closeCmd, DROP_ID, openCmd, place, scheduleCmd, T_CLOSE, T_EARLY, T_OPEN } from '../testing/drop.fixtures';
import { eventsOf } from '../testing/given-when-then';
import type { DropCommand } from './drop.commands';
import { foldDrop, initialState } from './drop.decider';
import { dueCommands, nextDueAt } from './drop.schedule';

const stateOf = (...commands: DropCommand[]) => foldDrop(eventsOf(...commands));

describe('dueCommands', () => {
  it('nothing for a drop that does not exist or before early access', () => {
    expect(dueCommands(initialState(), T_OPEN)).toEqual([]);
    expect(dueCommands(stateOf(scheduleCmd()), '2026-11-30T09:59:59Z')).toEqual([]);
  });

  it('OpenAccessPhase at earlyAccess.opensAt', () => {
    expect(dueCommands(stateOf(scheduleCmd()), T_EARLY)).toEqual([
      { type: 'OpenAccessPhase', dropId: DROP_ID, now: T_EARLY, phase: 'early-access' },
    ]);
  });

  it('OpenPreOrderWindow at opensAt, from scheduled or early access', () => {
    expect(dueCommands(stateOf(scheduleCmd()), T_OPEN)).toEqual([{ type: 'OpenPreOrderWindow', dropId: DROP_ID, now: T_OPEN }]);
    const early = stateOf(scheduleCmd(), { type: 'OpenAccessPhase', dropId: DROP_ID, now: T_EARLY, phase: 'early-access' });
    expect(dueCommands(early, '2026-11-30T12:00:00Z')).toEqual([]);
    expect(dueCommands(early, T_OPEN)).toEqual([{ type: 'OpenPreOrderWindow', dropId: DROP_ID, now: T_OPEN }]);
  });

  it('ClosePreOrderWindow at closesAt (directly, when the scheduler slept through the opening)', () => {
    expect(dueCommands(stateOf(scheduleCmd(), openCmd()), '2026-12-08T09:59:59.999Z')).toEqual([]);
    expect(dueCommands(stateOf(scheduleCmd(), openCmd()), T_CLOSE)).toEqual([
      { type: 'ClosePreOrderWindow', dropId: DROP_ID, now: T_CLOSE },
    ]);
    expect(dueCommands(stateOf(scheduleCmd()), T_CLOSE)).toEqual([{ type: 'ClosePreOrderWindow', dropId: DROP_ID, now: T_CLOSE }]);
  });

  it('compares instants, not strings (…00.000Z equals …00Z)', () => {
    expect(dueCommands(stateOf(scheduleCmd(), openCmd()), '2026-12-08T10:00:00.000Z')).toHaveLength(1);
  });

  it('RequestRefunds while a cancelled drop has refunds pending, nothing once all are requested', () => {
    const cancelled = eventsOf(scheduleCmd(), openCmd(), place(1), place(2), closeCmd());
    expect(dueCommands(foldDrop(cancelled), T_CLOSE, { refundBatchSize: 50 })).toEqual([
      { type: 'RequestRefunds', dropId: DROP_ID, now: T_CLOSE, maxCount: 50 },
    ]);
    const refunded = eventsOf(scheduleCmd(), openCmd(), place(1), place(2), closeCmd(), {
      type: 'RequestRefunds',
      dropId: DROP_ID,
      maxCount: 10,
      now: T_CLOSE,
    });
    expect(dueCommands(foldDrop(refunded), T_CLOSE)).toEqual([]);
  });

  it('CompleteDrop only when completable; nothing while tipped', () => {
    const tipped = stateOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd());
    expect(dueCommands(tipped, '2027-06-01T00:00:00Z')).toEqual([]);
    const delivered = stateOf(
      scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })),
      openCmd(),
      place(1),
      closeCmd(),
      { type: 'StartProductionRun', dropId: DROP_ID, runId: `${DROP_ID}.run.1`, now: '2026-12-10T10:00:00Z' },
      {
        type: 'CompleteProductionRun',
        dropId: DROP_ID,
        runId: `${DROP_ID}.run.1`,
        producedBySku: { 'HH-M-NAVY': 1 },
        rejectedBySku: {},
        now: '2026-12-20T10:00:00Z',
      },
      {
        type: 'DispatchShipment',
        dropId: DROP_ID,
        preOrderId: `${DROP_ID}.po.1`,
        carrier: 'DPD',
        trackingNumber: 'T1',
        now: '2026-12-21T10:00:00Z',
      },
      { type: 'ConfirmDelivery', dropId: DROP_ID, preOrderId: `${DROP_ID}.po.1`, now: '2026-12-22T10:00:00Z' },
    );
    expect(dueCommands(delivered, '2027-01-05T09:59:59Z')).toEqual([]);
    expect(dueCommands(delivered, '2027-01-05T10:00:00Z')).toEqual([
      { type: 'CompleteDrop', dropId: DROP_ID, now: '2027-01-05T10:00:00Z' },
    ]);
    expect(nextDueAt(delivered)).toBe('2027-01-05T10:00:00.000Z');
  });

  it('nextDueAt names the next timed transition', () => {
    expect(nextDueAt(stateOf(scheduleCmd()))).toBe(T_EARLY);
    expect(nextDueAt(stateOf(scheduleCmd(), openCmd()))).toBe(T_CLOSE);
    expect(nextDueAt(initialState())).toBeUndefined();
  });
});
