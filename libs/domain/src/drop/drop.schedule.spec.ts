import {
  aDefinition,
  aPhasedDefinition,
  closeCmd,
  DROP_ID,
  M,
  openCmd,
  openPhaseCmd,
  place,
  SAMPLE_PHASES,
  scheduleCmd,
  T_CITY,
  T_CLOSE,
  T_EARLY,
  T_IN_CITY,
  T_IN_MEMBERS,
  T_MEMBERS,
  T_OPEN,
  T_REPEAT,
} from '../testing/drop.fixtures';
import { eventsOf } from '../testing/given-when-then';
import type { DropCommand } from './drop.commands';
import { decide, evolve, foldDrop, initialState } from './drop.decider';
import type { DropEvent } from './drop.events';
import type { DropState } from './drop.state';
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

describe('dueCommands and nextDueAt with several access phases', () => {
  // members at T_MEMBERS, repeat at T_REPEAT, locals at T_CITY, the public window at T_OPEN.
  const phased = (...more: DropCommand[]) => stateOf(scheduleCmd(aPhasedDefinition()), ...more);

  it('opens each phase at its time, and names the next one as the next due instant', () => {
    expect(dueCommands(phased(), '2026-11-28T09:59:59Z')).toEqual([]);
    expect(nextDueAt(phased())).toBe(T_MEMBERS);
    expect(dueCommands(phased(), T_MEMBERS)).toEqual([{ type: 'OpenAccessPhase', dropId: DROP_ID, now: T_MEMBERS, phase: 'members' }]);
    const members = phased(openPhaseCmd('members', T_MEMBERS));
    expect(dueCommands(members, T_IN_MEMBERS)).toEqual([]);
    expect(nextDueAt(members)).toBe(T_REPEAT);
    expect(dueCommands(members, T_REPEAT)).toEqual([{ type: 'OpenAccessPhase', dropId: DROP_ID, now: T_REPEAT, phase: 'repeat' }]);
    const locals = phased(openPhaseCmd('members', T_MEMBERS), openPhaseCmd('repeat', T_REPEAT), openPhaseCmd('locals', T_CITY));
    expect(nextDueAt(locals)).toBe(T_OPEN);
    expect(dueCommands(locals, T_IN_CITY)).toEqual([]);
    expect(dueCommands(locals, T_OPEN)).toEqual([{ type: 'OpenPreOrderWindow', dropId: DROP_ID, now: T_OPEN }]);
    expect(nextDueAt(phased(openCmd()))).toBe(T_CLOSE);
  });

  it('a scheduler down past two phases gets one OpenAccessPhase for the latest, which opens both', () => {
    const members = phased(openPhaseCmd('members', T_MEMBERS));
    const due = dueCommands(members, T_IN_CITY);
    expect(due).toEqual([{ type: 'OpenAccessPhase', dropId: DROP_ID, now: T_IN_CITY, phase: 'locals' }]);
    const events = decide(due[0], members);
    expect(events.map((e) => e.type === 'AccessPhaseOpened' && [e.data.phase, e.data.trigger, e.data.openedAt])).toEqual([
      ['repeat', 'schedule', T_IN_CITY],
      ['locals', 'schedule', T_IN_CITY],
    ]);
    // Down from before the first phase: one command opens all three.
    expect(dueCommands(phased(), T_IN_CITY)).toEqual([{ type: 'OpenAccessPhase', dropId: DROP_ID, now: T_IN_CITY, phase: 'locals' }]);
    // Down past the public window's time: the window opens (and opens every phase with it).
    expect(dueCommands(members, T_OPEN)).toEqual([{ type: 'OpenPreOrderWindow', dropId: DROP_ID, now: T_OPEN }]);
  });

  it('a scheduler deciding what is due at each due instant walks every phase in order, and its commands are never too early', () => {
    let state: DropState = phased();
    const written: DropEvent[] = [];
    for (let now = nextDueAt(state); now !== undefined && now < T_CLOSE; now = nextDueAt(state)) {
      const due = dueCommands(state, now);
      expect(due).toHaveLength(1);
      for (const event of decide(due[0], state)) {
        state = evolve(state, event);
        written.push(event);
      }
    }
    expect(
      written.map((e) => [e.type, 'phase' in e.data ? e.data.phase : undefined, 'openedAt' in e.data ? e.data.openedAt : undefined]),
    ).toEqual([
      ['AccessPhaseOpened', 'members', T_MEMBERS],
      ['AccessPhaseOpened', 'repeat', T_REPEAT],
      ['AccessPhaseOpened', 'locals', T_CITY],
      ['PreOrderWindowOpened', undefined, T_OPEN],
    ]);
  });

  it('a public window listed as the last phase is opened by OpenPreOrderWindow, never OpenAccessPhase', () => {
    const listed = aPhasedDefinition({ phases: [SAMPLE_PHASES[0], { name: 'general', opensAt: T_OPEN, audience: 'everyone' }] });
    const members = stateOf(scheduleCmd(listed), openPhaseCmd('members', T_MEMBERS));
    expect(nextDueAt(members)).toBe(T_OPEN);
    expect(dueCommands(members, T_OPEN)).toEqual([{ type: 'OpenPreOrderWindow', dropId: DROP_ID, now: T_OPEN }]);
  });

  it('after a sell-out closed the window in a phase nothing more is due', () => {
    const small = aPhasedDefinition({
      variants: [{ sku: M, size: 'M', colour: 'navy', editionCap: 2 }],
      phases: [{ name: 'locals', opensAt: T_CITY, audience: 'city' }],
      minimumOrderQuantity: 1,
      onSellOut: 'close',
    });
    const soldOut = stateOf(
      scheduleCmd(small),
      openPhaseCmd('locals', T_CITY),
      place(1, { now: T_IN_CITY, buyerCity: 'Bristol', quantity: 2 }),
    );
    expect(soldOut.status).toBe('tipped');
    expect(dueCommands(soldOut, T_OPEN)).toEqual([]);
    expect(nextDueAt(soldOut)).toBeUndefined();
  });
});
