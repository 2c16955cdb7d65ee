import {
  aDefinition,
  addMembersCmd,
  aPhasedDefinition,
  closeCmd,
  customerActor,
  DROP_ID,
  L,
  M,
  openCmd,
  openPhaseCmd,
  place,
  scheduleCmd,
  T_AFTER,
  T_CITY,
  T_CLOSE,
  T_IN_MEMBERS,
  T_IN_REPEAT,
  T_MEMBERS,
  T_OPEN,
  T_REPEAT,
} from '../testing/drop.fixtures';
import { eventsOf } from '../testing/given-when-then';
import type { DropCommand } from './drop.commands';
import { foldDrop, initialState } from './drop.decider';
import { preOrderAnswer, toDropView } from './drop.view';

const cancel = (n: number) => ({
  type: 'CancelPreOrder' as const,
  dropId: DROP_ID,
  preOrderId: `${DROP_ID}.po.${n}`,
  now: '2026-12-03T10:00:00Z',
  actor: customerActor(n),
});

describe('toDropView', () => {
  it('is undefined for a drop that does not exist', () => {
    expect(toDropView(initialState())).toBeUndefined();
  });

  it('shows counters per SKU, the tier in force, MOQ progress and the window', () => {
    // M: 4 + 4 + 3 accepted (11), the 3 cancelled → net 8; L: 5 accepted → sold out.
    const state = foldDrop(
      eventsOf(
        scheduleCmd(),
        openCmd(),
        place(1, { quantity: 4 }),
        place(2, { quantity: 4 }),
        place(3, { quantity: 3 }),
        place(4, { sku: L, quantity: 4 }),
        place(5, { sku: L }),
        cancel(3),
      ),
    );
    expect(toDropView(state)).toEqual({
      dropId: DROP_ID,
      status: 'open',
      definition: aDefinition(),
      scheduledAt: '2026-11-01T09:00:00Z',
      window: {
        opensAt: '2026-12-01T10:00:00Z',
        closesAt: '2026-12-08T10:00:00Z',
        earlyAccessOpensAt: '2026-11-30T10:00:00Z',
        openedAt: '2026-12-01T10:00:00Z',
      },
      skus: [
        {
          sku: M,
          size: 'M',
          colour: 'navy',
          cap: 50,
          accepted: 11,
          net: 8,
          available: 42,
          soldOut: false,
          reservedForLaterPhases: 0,
          availableInPhase: 42,
        },
        {
          sku: L,
          size: 'L',
          colour: 'navy',
          cap: 5,
          accepted: 5,
          net: 5,
          available: 0,
          soldOut: true,
          reservedForLaterPhases: 0,
          availableInPhase: 0,
        },
      ],
      unitsSold: 16,
      netUnits: 13,
      available: 42,
      soldOut: false,
      onSellOut: 'stay-open',
      access: {
        openPhase: 'public',
        members: 0,
        phases: [
          // Skipped (the window opened straight from scheduled): it opened with the next phase.
          {
            name: 'early-access',
            audience: 'repeat-customers',
            opensAt: '2026-11-30T10:00:00Z',
            status: 'past',
            openedAt: '2026-12-01T10:00:00Z',
          },
          { name: 'public', audience: 'everyone', opensAt: '2026-12-01T10:00:00Z', status: 'open', openedAt: '2026-12-01T10:00:00Z' },
        ],
      },
      tier: { index: 1, unitPrice: 3000, untilUnitsSold: 40, unitsLeftInTier: 24 },
      moq: { minimum: 20, netUnits: 13, remaining: 7, reached: false },
      preOrderCount: 4,
      cancelledPreOrderCount: 1,
      productionRuns: [],
    });
  });

  it('is plain JSON (survives a JSON round trip unchanged)', () => {
    const state = foldDrop(eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd()));
    const view = toDropView(state);
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
    expect(view).toMatchObject({
      status: 'tipped',
      moq: { reached: true, tippedAt: '2026-12-08T10:00:00Z' },
      productionRuns: [{ runId: `${DROP_ID}.run.1`, status: 'requested' }],
    });
  });

  it('shows why a drop was cancelled', () => {
    const state = foldDrop(eventsOf(scheduleCmd(), openCmd(), closeCmd()));
    expect(toDropView(state)?.cancellation).toEqual({ reason: 'minimum-order-quantity-not-met', cancelledAt: '2026-12-08T10:00:00Z' });
  });
});

describe('toDropView: access phases', () => {
  const phased = (...more: DropCommand[]) =>
    toDropView(foldDrop(eventsOf(scheduleCmd(aPhasedDefinition()), addMembersCmd(['customer-1', 'customer-2']), ...more)));
  const skuCounters = (view: ReturnType<typeof toDropView>) =>
    view?.skus.map((s) => ({
      sku: s.sku,
      available: s.available,
      availableInPhase: s.availableInPhase,
      reserved: s.reservedForLaterPhases,
    }));
  const statuses = (view: ReturnType<typeof toDropView>) => view?.access.phases.map((p) => [p.name, p.status, p.openedAt]);

  it('before anything opens: every phase upcoming with its allocation, every allocation reserved, nothing on sale', () => {
    const view = phased();
    expect(view?.access).toEqual({
      members: 2,
      phases: [
        { name: 'members', audience: 'members', opensAt: T_MEMBERS, status: 'upcoming', allocation: { [M]: 10, [L]: 2 } },
        { name: 'repeat', audience: 'repeat-customers', opensAt: T_REPEAT, status: 'upcoming', allocation: { [M]: 10 } },
        { name: 'locals', audience: 'city', opensAt: T_CITY, status: 'upcoming', allocation: { [M]: 5, [L]: 1 } },
        { name: 'public', audience: 'everyone', opensAt: T_OPEN, status: 'upcoming' },
      ],
    });
    expect(skuCounters(view)).toEqual([
      { sku: M, available: 50, availableInPhase: 0, reserved: 25 },
      { sku: L, available: 5, availableInPhase: 0, reserved: 3 },
    ]);
  });

  it('in a phase: the open phase, what it may still sell and what later phases reserve', () => {
    const view = phased(openPhaseCmd('members', T_MEMBERS), place(1, { now: T_IN_MEMBERS, quantity: 4 }));
    expect(view?.access.openPhase).toBe('members');
    expect(statuses(view)).toEqual([
      ['members', 'open', T_MEMBERS],
      ['repeat', 'upcoming', undefined],
      ['locals', 'upcoming', undefined],
      ['public', 'upcoming', undefined],
    ]);
    expect(skuCounters(view)).toEqual([
      { sku: M, available: 46, availableInPhase: 6, reserved: 15 },
      { sku: L, available: 5, availableInPhase: 2, reserved: 1 },
    ]);
  });

  it('in the next phase: the roll-over counted in, a SKU it does not allocate sells from the unreserved rest', () => {
    const view = phased(openPhaseCmd('members', T_MEMBERS), place(1, { now: T_IN_MEMBERS, quantity: 4 }), openPhaseCmd('repeat', T_REPEAT));
    expect(view?.access.openPhase).toBe('repeat');
    expect(statuses(view)?.map(([name, status]) => [name, status])).toEqual([
      ['members', 'past'],
      ['repeat', 'open'],
      ['locals', 'upcoming'],
      ['public', 'upcoming'],
    ]);
    // M: 10 + the 6 members left; L: 5 − the locals' 1.
    expect(skuCounters(view)).toEqual([
      { sku: M, available: 46, availableInPhase: 16, reserved: 5 },
      { sku: L, available: 4 + 1, availableInPhase: 4, reserved: 1 },
    ]);
  });

  it('in the public window: nothing reserved, everything not sold on sale', () => {
    const view = phased(openPhaseCmd('members', T_MEMBERS), place(1, { now: T_IN_MEMBERS, quantity: 4 }), openCmd());
    expect(view?.access.openPhase).toBe('public');
    expect(statuses(view)).toEqual([
      ['members', 'past', T_MEMBERS],
      ['repeat', 'past', T_OPEN],
      ['locals', 'past', T_OPEN],
      ['public', 'open', T_OPEN],
    ]);
    expect(skuCounters(view)).toEqual([
      { sku: M, available: 46, availableInPhase: 46, reserved: 0 },
      { sku: L, available: 5, availableInPhase: 5, reserved: 0 },
    ]);
  });

  it('once the window closed no phase is open or upcoming, and nothing is on sale', () => {
    const view = phased(openCmd(), place(1, { now: T_OPEN, quantity: 4 }), place(2, { now: T_OPEN, quantity: 4 }), closeCmd());
    expect(view?.status).toBe('cancelled');
    expect(view?.access.openPhase).toBeUndefined();
    expect(statuses(view)?.map(([, status]) => status)).toEqual(['past', 'past', 'past', 'past']);
    expect(view?.skus.map((s) => s.availableInPhase)).toEqual([0, 0]);
  });

  it('a drop that ended before some phases opened shows them past without an openedAt, never upcoming', () => {
    // Cancelled by the close while the repeat phase was open: locals and public never opened.
    const closedEarly = phased(openPhaseCmd('repeat', T_IN_REPEAT), closeCmd(T_CLOSE));
    expect(statuses(closedEarly)).toEqual([
      ['members', 'past', T_IN_REPEAT],
      ['repeat', 'past', T_IN_REPEAT],
      ['locals', 'past', undefined],
      ['public', 'past', undefined],
    ]);
    const cancelledScheduled = toDropView(
      foldDrop(
        eventsOf(scheduleCmd(aPhasedDefinition()), { type: 'CancelDrop', dropId: DROP_ID, reason: 'factory fire', now: T_IN_MEMBERS }),
      ),
    );
    expect(statuses(cancelledScheduled)?.map(([, status]) => status)).toEqual(['past', 'past', 'past', 'past']);
  });
});

describe('preOrderAnswer', () => {
  it('answers with the price as first accepted, also after the ladder moved on', () => {
    const state = foldDrop(
      eventsOf(scheduleCmd(), openCmd(), place(1, { quantity: 3 }), place(2, { quantity: 4 }), place(3, { quantity: 4 })),
    );
    expect(preOrderAnswer(state, `${DROP_ID}.po.1`)).toEqual({
      preOrderId: `${DROP_ID}.po.1`,
      sku: M,
      quantity: 3,
      unitPrice: 2500,
      total: 6750,
      currency: 'GBP',
    });
  });

  it('is undefined for an unknown pre-order or drop', () => {
    expect(preOrderAnswer(foldDrop(eventsOf(scheduleCmd())), 'nope')).toBeUndefined();
    expect(preOrderAnswer(initialState(), 'nope')).toBeUndefined();
  });
});

describe('view after close', () => {
  it('keeps the closing time', () => {
    const state = foldDrop(eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd(T_AFTER)));
    expect(toDropView(state)?.window.closedAt).toBe(T_AFTER);
  });
});
