import {
  aDefinition,
  closeCmd,
  DROP_ID,
  earlyAccessOpened,
  L,
  lifecycle,
  M,
  openCmd,
  place,
  placed,
  scheduleCmd,
  scheduled,
  T_AFTER,
  T_CLOSE,
  T_DURING,
  T_EARLY,
  T_OPEN,
  T_SCHEDULED,
  windowOpened,
} from '../../testing/drop.fixtures';
import { eventsOf, given } from '../../testing/given-when-then';
import { DomainError } from '../../decider';
import type { DropCommand } from '../drop.commands';
import { decide, foldDrop } from '../drop.decider';
import type { DropEvent } from '../drop.events';
import { EXISTING_DROP_STATUSES, ExistingDropStatus, STATUS_TABLE, StatusRule, StatusRuledCommand } from '../drop.status-table';

const revise = (definition = aDefinition({ name: 'Harbour Hoodie, run 1b' })): DropCommand => ({
  type: 'ReviseDrop',
  dropId: DROP_ID,
  definition,
  now: T_SCHEDULED,
});
const cancelDrop = (reason = 'factory fire', now = T_DURING): DropCommand => ({ type: 'CancelDrop', dropId: DROP_ID, reason, now });
const requestRefunds = (maxCount: number, now = T_AFTER): DropCommand => ({ type: 'RequestRefunds', dropId: DROP_ID, maxCount, now });
const dropCancelled = (reason: string, cancelledAt = T_DURING): DropEvent => ({
  type: 'DropCancelled',
  data: { dropId: DROP_ID, reason, cancelledAt },
});
const refund = (n: number, amount = 2500, reason = 'drop-cancelled'): DropEvent => ({
  type: 'RefundRequested',
  data: {
    dropId: DROP_ID,
    preOrderId: `${DROP_ID}.po.${n}`,
    customerId: `customer-${n}`,
    amount,
    currency: 'GBP',
    reason,
    requestedAt: T_AFTER,
  },
});
/** `count` 4-unit pre-orders of M by distinct customers. */
const fours = (count: number): DropEvent[] => Array.from({ length: count }, (_, i) => placed({ sequence: i + 1, quantity: 4 }));

describe('ScheduleDrop', () => {
  it('schedules a valid drop', () => {
    given().when(scheduleCmd()).then([scheduled()]);
  });

  it('accepts the brief JSON with the optional parts left out', () => {
    const { city: _c, basketTiers: _b, earlyAccess: _e, pickupLocations: _p, ...minimal } = aDefinition();
    given()
      .when(scheduleCmd(minimal))
      .then([scheduled(minimal)]);
  });

  it('returns [] when scheduled again with the identical definition (key order does not matter)', () => {
    const reordered = Object.fromEntries(Object.entries(aDefinition()).reverse()) as unknown as ReturnType<typeof aDefinition>;
    expect(Object.keys(reordered)[0]).toBe('returnWindowDays');
    given(scheduled()).when(scheduleCmd(reordered)).then([]);
  });

  it('stores a minutes-only instant with its seconds, and takes it again as the same definition', () => {
    const minutes = aDefinition({ window: { opensAt: '2026-12-01T10:00Z', closesAt: '2026-12-08T10:00+00:00' } });
    const stored = aDefinition({ window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00+00:00' } });
    given()
      .when(scheduleCmd(minutes))
      .then([scheduled(stored)]);
    given(scheduled(stored)).when(scheduleCmd(minutes)).then([]);
    given(scheduled(stored)).when(revise(minutes)).then([]);
  });

  it('rejects another definition for an existing drop', () => {
    given(scheduled())
      .when(scheduleCmd(aDefinition({ perCustomerLimit: 2 })))
      .thenRejects('DROP.ALREADY_EXISTS');
  });

  it('rejects a malformed drop id', () => {
    given()
      .when({ ...scheduleCmd(), dropId: 'has.dot' })
      .thenRejects('DROP.INVALID_ID');
  });

  it('rejects an inconsistent definition with the field at fault', () => {
    given()
      .when(scheduleCmd(aDefinition({ window: { opensAt: T_CLOSE, closesAt: T_OPEN } })))
      .thenRejects('DROP.INVALID_DEFINITION', { field: 'window.closesAt' });
  });
});

describe('any command on an unknown drop', () => {
  it.each<DropCommand>([
    lifecycle('OpenPreOrderWindow', T_OPEN),
    place(1),
    { type: 'CancelDrop', dropId: DROP_ID, reason: 'x', now: T_DURING },
    { type: 'RecordPaymentCaptured', dropId: DROP_ID, preOrderId: 'p', amount: 1, providerRef: 'r', now: T_DURING },
  ])('is DROP.NOT_FOUND (%#)', (command) => {
    given().when(command).thenRejects('DROP.NOT_FOUND', { dropId: DROP_ID });
  });
});

describe('ReviseDrop', () => {
  it('replaces the definition while scheduled', () => {
    const definition = aDefinition({ name: 'Harbour Hoodie, run 1b' });
    given(scheduled())
      .when(revise(definition))
      .then([{ type: 'DropRevised', data: { dropId: DROP_ID, definition, revisedAt: T_SCHEDULED } }]);
  });

  it('returns [] for the definition already in force', () => {
    given(scheduled()).when(revise(aDefinition())).then([]);
  });

  it('validates the new definition', () => {
    given(scheduled())
      .when(revise(aDefinition({ priceTiers: [{ untilUnitsSold: 10, unitPrice: 2500 }] })))
      .thenRejects('DROP.INVALID_DEFINITION', { field: 'priceTiers[0].untilUnitsSold' });
  });

  it('is refused once early access opened', () => {
    given(scheduled(), earlyAccessOpened()).when(revise()).thenRejects('DROP.DEFINITION_LOCKED');
  });

  it('is refused once open', () => {
    given(scheduled(), windowOpened()).when(revise()).thenRejects('DROP.DEFINITION_LOCKED');
  });

  it('is refused after cancellation', () => {
    given(scheduled(), dropCancelled('x')).when(revise()).thenRejects('DROP.CANCELLED');
  });

  it('takes effect for later pre-orders (new caps)', () => {
    const smaller = aDefinition({ variants: [{ sku: M, size: 'M', colour: 'navy', editionCap: 20 }] });
    const history = eventsOf(scheduleCmd(), revise(smaller), openCmd());
    given(...history)
      .when(place(1, { sku: L }))
      .thenRejects('DROP.UNKNOWN_SKU');
  });
});

describe('AnnounceDrop', () => {
  const announced: DropEvent = { type: 'DropAnnounced', data: { dropId: DROP_ID, announcedAt: T_SCHEDULED } };

  it('announces a scheduled drop, and the state remembers when', () => {
    given(scheduled()).when(lifecycle('AnnounceDrop', T_SCHEDULED)).then([announced]);
    const state = foldDrop([scheduled(), announced]);
    expect(state.status === 'scheduled' && state.announcedAt).toBe(T_SCHEDULED);
  });

  it('returns [] when already announced (a retry writes nothing)', () => {
    given(scheduled(), announced).when(lifecycle('AnnounceDrop', T_EARLY)).then([]);
  });

  it('returns [] once early access or the window opened (the drop is public already)', () => {
    given(scheduled(), earlyAccessOpened()).when(lifecycle('AnnounceDrop', T_EARLY)).then([]);
    given(scheduled(), windowOpened()).when(lifecycle('AnnounceDrop', T_OPEN)).then([]);
  });

  it('is refused after cancellation and for an unknown drop', () => {
    given(scheduled(), dropCancelled('x')).when(lifecycle('AnnounceDrop', T_SCHEDULED)).thenRejects('DROP.CANCELLED');
    given().when(lifecycle('AnnounceDrop', T_SCHEDULED)).thenRejects('DROP.NOT_FOUND');
  });

  it('keeps the drop revisable: announcing is not opening', () => {
    given(scheduled(), announced)
      .when(revise())
      .then([expect.objectContaining({ type: 'DropRevised' }) as DropEvent]);
  });
});

describe('OpenAccessPhase (the earlyAccess shorthand)', () => {
  const openEarly = (now: string, manual?: boolean): DropCommand => ({
    type: 'OpenAccessPhase',
    dropId: DROP_ID,
    now,
    phase: 'early-access',
    ...(manual ? { manual } : {}),
  });

  it('opens the early-access phase for repeat customers at earlyAccess.opensAt', () => {
    given(scheduled())
      .when(openEarly(T_EARLY))
      .then([
        {
          type: 'AccessPhaseOpened',
          data: {
            dropId: DROP_ID,
            phase: 'early-access',
            audience: 'repeat-customers',
            opensAt: T_EARLY,
            trigger: 'schedule',
            rolledOver: {},
            openedAt: T_EARLY,
          },
        },
      ]);
  });

  it('refuses the scheduler before its time, lets ops open it by hand', () => {
    given(scheduled()).when(openEarly('2026-11-30T09:59:59Z')).thenRejects('DROP.TOO_EARLY', { opensAt: T_EARLY });
    const [opened] = given(scheduled()).when(openEarly('2026-11-30T09:59:59Z', true)).events();
    expect(opened).toMatchObject({ type: 'AccessPhaseOpened', data: { trigger: 'ops', openedAt: '2026-11-30T09:59:59Z' } });
  });

  it('is refused for a drop without that phase', () => {
    const { earlyAccess: _e, ...withoutEarlyAccess } = aDefinition();
    given(scheduled(withoutEarlyAccess)).when(openEarly(T_EARLY)).thenRejects('DROP.UNKNOWN_PHASE', { phase: 'early-access' });
  });

  it('returns [] when already in early access (stored EarlyAccessOpened included) or beyond', () => {
    given(scheduled(), earlyAccessOpened()).when(openEarly(T_EARLY)).then([]);
    given(scheduled(), windowOpened()).when(openEarly(T_OPEN)).then([]);
  });

  it('is refused after cancellation', () => {
    given(scheduled(), dropCancelled('x')).when(openEarly(T_EARLY)).thenRejects('DROP.CANCELLED');
  });
});

describe('OpenPreOrderWindow', () => {
  it('opens a scheduled drop (ops may open it early)', () => {
    given(scheduled())
      .when(openCmd(T_EARLY))
      .then([{ type: 'PreOrderWindowOpened', data: { dropId: DROP_ID, openedAt: T_EARLY } }]);
  });

  it('opens from early access', () => {
    given(scheduled(), earlyAccessOpened()).when(openCmd()).then([windowOpened()]);
  });

  it('returns [] when already open or later', () => {
    given(scheduled(), windowOpened()).when(openCmd()).then([]);
    given(...eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd()))
      .when(openCmd(T_AFTER))
      .then([]);
  });

  it('is refused after cancellation', () => {
    given(scheduled(), dropCancelled('x')).when(openCmd()).thenRejects('DROP.CANCELLED');
  });
});

describe('ClosePreOrderWindow', () => {
  const closed = (unitsSold: number, netUnits: number, activePreOrders: number): DropEvent => ({
    type: 'PreOrderWindowClosed',
    data: { dropId: DROP_ID, unitsSold, netUnits, activePreOrders, closedAt: T_CLOSE },
  });

  it('reaches the tipping point at net units ≥ MOQ and requests run 1 for the net units per SKU', () => {
    // 5 × 4 units of M = 20 = MOQ, plus 1 unit of L → 21 net.
    given(scheduled(), windowOpened(), ...fours(5), placed({ sequence: 6, sku: L }))
      .when(closeCmd())
      .then([
        closed(21, 21, 6),
        { type: 'TippingPointReached', data: { dropId: DROP_ID, netUnits: 21, minimumOrderQuantity: 20, reachedAt: T_CLOSE } },
        {
          type: 'ProductionRunRequested',
          data: {
            dropId: DROP_ID,
            runId: `${DROP_ID}.run.1`,
            microfactoryId: 'mf-bristol-1',
            unitsBySku: { [M]: 20, [L]: 1 },
            requestedAt: T_CLOSE,
          },
        },
      ]);
  });

  it('cancels the drop when net units stay below the MOQ (cancelled pre-orders do not count)', () => {
    const cancelledFirst: DropEvent = {
      type: 'PreOrderCancelled',
      data: { dropId: DROP_ID, preOrderId: `${DROP_ID}.po.1`, customerId: 'customer-1', sku: M, quantity: 4, cancelledAt: T_DURING },
    };
    given(scheduled(), windowOpened(), ...fours(5), cancelledFirst)
      .when(closeCmd())
      .then([closed(20, 16, 4), dropCancelled('minimum-order-quantity-not-met', T_CLOSE)]);
  });

  it('closes straight from scheduled (a scheduler that was down past closesAt)', () => {
    given(scheduled())
      .when(closeCmd(T_AFTER))
      .then([
        { type: 'PreOrderWindowClosed', data: { dropId: DROP_ID, unitsSold: 0, netUnits: 0, activePreOrders: 0, closedAt: T_AFTER } },
        dropCancelled('minimum-order-quantity-not-met', T_AFTER),
      ]);
  });

  it('returns [] when already closed and tipped', () => {
    given(...eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd()))
      .when(closeCmd(T_AFTER))
      .then([]);
  });

  it('returns [] when already cancelled', () => {
    given(...eventsOf(scheduleCmd(), openCmd(), closeCmd()))
      .when(closeCmd(T_AFTER))
      .then([]);
  });

  it('finishes a tipping decision missing from the stream', () => {
    given(scheduled(), windowOpened(), ...fours(5), closed(20, 20, 5))
      .when(closeCmd(T_AFTER))
      .then([
        { type: 'TippingPointReached', data: { dropId: DROP_ID, netUnits: 20, minimumOrderQuantity: 20, reachedAt: T_AFTER } },
        {
          type: 'ProductionRunRequested',
          data: {
            dropId: DROP_ID,
            runId: `${DROP_ID}.run.1`,
            microfactoryId: 'mf-bristol-1',
            unitsBySku: { [M]: 20 },
            requestedAt: T_AFTER,
          },
        },
      ]);
  });
});

describe('CancelDrop', () => {
  it('cancels an open drop', () => {
    given(scheduled(), windowOpened())
      .when(cancelDrop())
      .then([dropCancelled('factory fire')]);
  });

  it('cancels a tipped drop before production starts', () => {
    const history = eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd());
    given(...history)
      .when(cancelDrop('factory fire', T_AFTER))
      .then([dropCancelled('factory fire', T_AFTER)]);
  });

  it('returns [] when already cancelled', () => {
    given(scheduled(), dropCancelled('x')).when(cancelDrop()).then([]);
  });

  it('is refused once production started', () => {
    const history = eventsOf(scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })), openCmd(), place(1), closeCmd(), {
      type: 'StartProductionRun',
      dropId: DROP_ID,
      runId: `${DROP_ID}.run.1`,
      now: T_AFTER,
    });
    given(...history)
      .when(cancelDrop('too late', T_AFTER))
      .thenRejects('DROP.CANNOT_CANCEL', { dropStatus: 'in-production' });
  });

  it('needs a reason', () => {
    given(scheduled()).when(cancelDrop('  ')).thenRejects('COMMAND.INVALID', { field: 'reason' });
  });
});

describe('RequestRefunds', () => {
  const cancelledWithOrders = (): DropEvent[] => [
    scheduled(),
    windowOpened(),
    placed({ sequence: 1 }),
    placed({ sequence: 2 }),
    placed({ sequence: 3 }),
    placed({ sequence: 4 }),
    {
      type: 'PreOrderCancelled',
      data: { dropId: DROP_ID, preOrderId: `${DROP_ID}.po.2`, customerId: 'customer-2', sku: M, quantity: 1, cancelledAt: T_DURING },
    },
    dropCancelled('factory fire'),
  ];

  it('requests refunds for up to maxCount active pre-orders in acceptance order, skipping cancelled ones', () => {
    given(...cancelledWithOrders())
      .when(requestRefunds(2))
      .then([refund(1), refund(3)]);
  });

  it('continues where the previous chunk stopped, skipping pre-orders already refund-requested', () => {
    given(...cancelledWithOrders(), refund(1), refund(4, 2500, 'goodwill'))
      .when(requestRefunds(2))
      .then([refund(3)]);
  });

  it('returns [] when every refund was requested', () => {
    given(...cancelledWithOrders(), refund(1), refund(3), refund(4))
      .when(requestRefunds(10))
      .then([]);
  });

  it('is refused when the drop is not cancelled', () => {
    given(scheduled(), windowOpened()).when(requestRefunds(10)).thenRejects('DROP.NOT_CANCELLED');
  });

  it('needs a positive maxCount', () => {
    given(...cancelledWithOrders())
      .when(requestRefunds(0))
      .thenRejects('COMMAND.INVALID', { field: 'maxCount' });
  });
});

describe('commands carry a valid now', () => {
  it('rejects a command whose now is not an ISO instant', () => {
    given(scheduled()).when(openCmd('yesterday')).thenRejects('COMMAND.INVALID_NOW');
  });
});

describe('the status table', () => {
  const runId = `${DROP_ID}.run-1`;
  const HISTORY: Record<ExistingDropStatus, DropEvent[]> = {
    scheduled: [scheduled()],
    'early-access': [scheduled(), earlyAccessOpened()],
    open: [scheduled(), windowOpened()],
    closed: [scheduled(), windowOpened(), windowClosedEvent()],
    tipped: [scheduled(), windowOpened(), windowClosedEvent(), tippedEvent()],
    'in-production': [scheduled(), windowOpened(), windowClosedEvent(), tippedEvent(), runRequested(), runStarted()],
    fulfilling: [scheduled(), windowOpened(), windowClosedEvent(), tippedEvent(), runRequested(), runStarted(), runCompleted()],
    completed: [
      ...[scheduled(), windowOpened(), windowClosedEvent(), tippedEvent(), runRequested(), runStarted(), runCompleted()],
      { type: 'DropCompleted', data: { dropId: DROP_ID, completedAt: T_AFTER } },
    ],
    cancelled: [scheduled(), dropCancelled('factory fire')],
  };
  const COMMAND: Record<StatusRuledCommand, DropCommand> = {
    ReviseDrop: { ...(revise() as Extract<DropCommand, { type: 'ReviseDrop' }>), now: T_SCHEDULED },
    AnnounceDrop: lifecycle('AnnounceDrop', T_SCHEDULED),
    OpenAccessPhase: { type: 'OpenAccessPhase', dropId: DROP_ID, now: T_EARLY, phase: 'early-access' },
    AddDropMembers: {
      type: 'AddDropMembers',
      dropId: DROP_ID,
      now: T_SCHEDULED,
      customerIds: ['m-1'],
      actor: { subject: 'ops-1', roles: ['ops'] },
    },
    RemoveDropMembers: {
      type: 'RemoveDropMembers',
      dropId: DROP_ID,
      now: T_SCHEDULED,
      customerIds: ['m-1'],
      actor: { subject: 'ops-1', roles: ['ops'] },
    },
    OpenPreOrderWindow: openCmd(),
    ClosePreOrderWindow: closeCmd(),
    CancelDrop: cancelDrop(),
    RequestRefunds: requestRefunds(10),
    CompleteDrop: lifecycle('CompleteDrop', T_AFTER),
  };
  function windowClosedEvent(): DropEvent {
    return { type: 'PreOrderWindowClosed', data: { dropId: DROP_ID, unitsSold: 0, netUnits: 0, activePreOrders: 0, closedAt: T_CLOSE } };
  }
  function tippedEvent(): DropEvent {
    return { type: 'TippingPointReached', data: { dropId: DROP_ID, netUnits: 0, minimumOrderQuantity: 0, reachedAt: T_CLOSE } };
  }
  function runRequested(): DropEvent {
    const data = { dropId: DROP_ID, runId, microfactoryId: 'mf-bristol-1', unitsBySku: { [M]: 1 }, requestedAt: T_CLOSE };
    return { type: 'ProductionRunRequested', data };
  }
  function runStarted(): DropEvent {
    return { type: 'ProductionRunStarted', data: { dropId: DROP_ID, runId, startedAt: T_CLOSE } };
  }
  function runCompleted(): DropEvent {
    const none = {
      producedBySku: {},
      rejectedBySku: {},
      goodBySku: {},
      surplusBySku: {},
      coveredPreOrderCount: 0,
      uncoveredPreOrderCount: 0,
    };
    return { type: 'ProductionRunCompleted', data: { dropId: DROP_ID, runId, ...none, completedAt: T_CLOSE } };
  }
  function outcome(command: DropCommand, status: ExistingDropStatus): DropEvent[] | DomainError {
    const state = foldDrop(HISTORY[status]);
    expect(state.status).toBe(status);
    try {
      return decide(command, state);
    } catch (error) {
      if (error instanceof DomainError) return error;
      throw error;
    }
  }

  for (const [commandType, rule] of Object.entries(STATUS_TABLE) as [StatusRuledCommand, StatusRule][]) {
    it(`${commandType}: each status is allowed, a no-op or refused, never two of them`, () => {
      for (const status of EXISTING_DROP_STATUSES) {
        expect(Number(rule.allowed.includes(status)) + Number(rule.noOp.includes(status))).toBeLessThanOrEqual(1);
      }
    });

    for (const status of EXISTING_DROP_STATUSES) {
      const refusal = status === 'cancelled' || !rule.refused ? 'DROP.CANCELLED' : rule.refused.code;
      if (rule.noOp.includes(status)) {
        it(`${commandType} in ${status} is a no-op`, () => {
          expect(outcome(COMMAND[commandType], status)).toEqual([]);
        });
      } else if (rule.allowed.includes(status)) {
        it(`${commandType} in ${status} is decided (not refused for its status)`, () => {
          const result = outcome(COMMAND[commandType], status);
          if (result instanceof DomainError) expect(['DROP.CANCELLED', rule.refused?.code]).not.toContain(result.code);
        });
      } else {
        it(`${commandType} in ${status} is refused with ${refusal}`, () => {
          const result = outcome(COMMAND[commandType], status);
          expect(result).toBeInstanceOf(DomainError);
          expect(result).toMatchObject(
            status === 'cancelled' || !rule.refused ? { code: refusal } : { code: refusal, details: { dropStatus: status } },
          );
        });
      }
    }
  }
});
