import { aDefinition, closeCmd, customerActor, DROP_ID, L, M, openCmd, place, scheduleCmd, T_AFTER } from '../testing/drop.fixtures';
import { eventsOf } from '../testing/given-when-then';
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
