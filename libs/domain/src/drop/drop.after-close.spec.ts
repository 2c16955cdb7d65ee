// Payments, production runs, fulfillment, returns and completion: everything after the money is promised.
import {
  aDefinition,
  closeCmd,
  customerActor,
  OPS_ACTOR,
  DROP_ID,
  L,
  M,
  openCmd,
  place,
  scheduleCmd,
  scheduled,
  T_DURING,
  windowOpened,
  placed,
} from '../testing/drop.fixtures';
import { eventsOf, given } from '../testing/given-when-then';
import type { DropCommand } from './drop.commands';
import { foldDrop } from './drop.decider';
import type { DropEvent, ProductionRunCompleted } from './drop.events';
import type { DropState } from './drop.state';

const po = (n: number) => `${DROP_ID}.po.${n}`;
const RUN1 = `${DROP_ID}.run.1`;
const RUN2 = `${DROP_ID}.run.2`;
const T_START = '2026-12-10T08:00:00Z';
const T_DONE = '2026-12-24T16:00:00Z';
const T_SHIP = '2026-12-26T09:00:00Z';
const T_DELIVERED = '2026-12-28T10:00:00Z';
const T_PICKED_UP = '2026-12-29T10:00:00Z';
// 14 return days after the last hand-over (the pickup on Dec 29 10:00) end on Jan 12 10:00.
const T_LAST_RETURN_DAY = '2027-01-12T09:59:59Z';
const T_RETURNS_OVER = '2027-01-12T10:00:00Z';

const pickupAt = { method: 'pickup', locationId: 'popup-harbourside' } as const;
const cmd = {
  start: (runId = RUN1): DropCommand => ({ type: 'StartProductionRun', dropId: DROP_ID, runId, now: T_START }),
  complete: (produced: Record<string, number>, rejected: Record<string, number> = {}, runId = RUN1): DropCommand => ({
    type: 'CompleteProductionRun',
    dropId: DROP_ID,
    runId,
    producedBySku: produced,
    rejectedBySku: rejected,
    now: T_DONE,
  }),
  requestRun: (unitsBySku: Record<string, number>, runId = RUN2, now = T_DONE): DropCommand => ({
    type: 'RequestProductionRun',
    dropId: DROP_ID,
    runId,
    unitsBySku,
    now,
  }),
  dispatch: (n: number, trackingNumber = `TRK-${n}`): DropCommand => ({
    type: 'DispatchShipment',
    dropId: DROP_ID,
    preOrderId: po(n),
    carrier: 'Royal Mail',
    trackingNumber,
    now: T_SHIP,
  }),
  deliver: (n: number): DropCommand => ({ type: 'ConfirmDelivery', dropId: DROP_ID, preOrderId: po(n), now: T_DELIVERED }),
  ready: (n: number): DropCommand => ({ type: 'MarkReadyForPickup', dropId: DROP_ID, preOrderId: po(n), now: T_SHIP }),
  pickUp: (n: number): DropCommand => ({ type: 'ConfirmPickup', dropId: DROP_ID, preOrderId: po(n), now: T_PICKED_UP }),
  refund: (n: number, reason = 'not covered by production'): DropCommand => ({
    type: 'RequestRefund',
    dropId: DROP_ID,
    preOrderId: po(n),
    reason,
    now: T_DONE,
  }),
  pay: (
    type: 'RecordPaymentAuthorized' | 'RecordPaymentCaptured' | 'RecordPaymentFailed' | 'RecordPaymentRefunded',
    n: number,
    amount: number,
    providerRef: string,
    now = T_DURING,
  ): DropCommand => ({
    type,
    dropId: DROP_ID,
    preOrderId: po(n),
    amount,
    providerRef,
    now,
  }),
  requestReturn: (n: number, now: string, returnId = `${po(n)}.ret.1`, reason: 'too-small' | 'defect' = 'too-small'): DropCommand => ({
    type: 'RequestReturn',
    dropId: DROP_ID,
    returnId,
    preOrderId: po(n),
    reason,
    now,
    actor: customerActor(n),
  }),
  receive: (n: number, condition: 'restockable' | 'not-restockable' = 'restockable'): DropCommand => ({
    type: 'ReceiveReturn',
    dropId: DROP_ID,
    returnId: `${po(n)}.ret.1`,
    condition,
    now: '2027-01-05T10:00:00Z',
  }),
  returnRefunded: (n: number, amount: number, providerRef = `re_${n}`): DropCommand => ({
    type: 'RecordReturnRefunded',
    dropId: DROP_ID,
    returnId: `${po(n)}.ret.1`,
    amount,
    providerRef,
    now: '2027-01-06T10:00:00Z',
  }),
  completeDrop: (now: string): DropCommand => ({ type: 'CompleteDrop', dropId: DROP_ID, now }),
};

// M orders: #1 ×2, #2 ×1 (pickup), #3 ×3, #5 ×1 → 7 units; L: #4 ×1.
const sold = (): DropCommand[] => [
  scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })),
  openCmd(),
  place(1, { quantity: 2 }),
  place(2, { fulfillment: pickupAt, channel: 'popup' }),
  place(3, { quantity: 3 }),
  place(4, { sku: L }),
  place(5),
];
const tipped = () => eventsOf(...sold(), closeCmd());
// Good M = 6 − 1 = 5: #1 (2) and #2 (1) fit, #3 (3) does not; #5 stays behind #3 although 2 are left.
const fulfilling = () => eventsOf(...sold(), closeCmd(), cmd.start(), cmd.complete({ [M]: 6, [L]: 1 }, { [M]: 1 }));
const handedOver = () => [...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.dispatch(1), cmd.deliver(1), cmd.ready(2), cmd.pickUp(2))];

/** Pre-order ids per covering run, in acceptance order. */
function coveredBy(state: DropState): Record<string, string[]> {
  if (state.status === 'initial') return {};
  const out: Record<string, string[]> = {};
  for (const p of state.acceptance) if (p.coveredByRunId !== undefined) (out[p.coveredByRunId] ??= []).push(p.preOrderId);
  return out;
}

/** Events `commands` cause after `history` (decided one after another). */
function eventsOfAfter(history: DropEvent[], ...commands: DropCommand[]): DropEvent[] {
  const out: DropEvent[] = [];
  for (const command of commands) {
    const events = given(...history, ...out)
      .when(command)
      .events();
    out.push(...events);
  }
  return out;
}

describe('payments (recorded provider facts)', () => {
  const history = () => [scheduled(), windowOpened(), placed({ sequence: 1 })];
  const fact = (type: string, at: string, providerRef = 'pi_1', amount = 2500) =>
    ({ type, data: { dropId: DROP_ID, preOrderId: po(1), amount, currency: 'GBP', providerRef, [at]: T_DURING } }) as unknown as DropEvent;

  it.each([
    ['RecordPaymentAuthorized', 'PaymentAuthorized', 'authorizedAt'],
    ['RecordPaymentCaptured', 'PaymentCaptured', 'capturedAt'],
    ['RecordPaymentFailed', 'PaymentFailed', 'failedAt'],
    ['RecordPaymentRefunded', 'PaymentRefunded', 'refundedAt'],
  ] as const)('%s records %s', (command, event, at) => {
    given(...history())
      .when(cmd.pay(command, 1, 2500, 'pi_1'))
      .then([fact(event, at)]);
  });

  it('returns [] for the same fact delivered twice (same providerRef)', () => {
    given(...history(), fact('PaymentCaptured', 'capturedAt'))
      .when(cmd.pay('RecordPaymentCaptured', 1, 2500, 'pi_1'))
      .then([]);
  });

  it('records another fact of the same kind with another providerRef', () => {
    given(...history(), fact('PaymentCaptured', 'capturedAt', 'pi_1', 2400))
      .when(cmd.pay('RecordPaymentCaptured', 1, 100, 'pi_2'))
      .then([fact('PaymentCaptured', 'capturedAt', 'pi_2', 100)]);
  });

  it('is recorded on a cancelled drop too (refunds happen there)', () => {
    given(...history(), { type: 'DropCancelled', data: { dropId: DROP_ID, reason: 'x', cancelledAt: T_DURING } })
      .when(cmd.pay('RecordPaymentRefunded', 1, 2500, 'pi_1'))
      .then([fact('PaymentRefunded', 'refundedAt')]);
  });

  it('rejects an unknown pre-order', () => {
    given(...history())
      .when(cmd.pay('RecordPaymentCaptured', 9, 2500, 'pi_1'))
      .thenRejects('PREORDER.NOT_FOUND');
  });

  it('rejects an amount that is not a positive integer', () => {
    given(...history())
      .when(cmd.pay('RecordPaymentCaptured', 1, 25.5, 'pi_1'))
      .thenRejects('PAYMENT.INVALID_AMOUNT');
  });

  it('rejects a fact for more than the pre-order owes, in one fact or in total per kind', () => {
    given(...history())
      .when(cmd.pay('RecordPaymentCaptured', 1, 999_999, 'pi_1'))
      .thenRejects('PAYMENT.AMOUNT_EXCEEDS_ORDER', { field: 'amount', total: 2500 });
    given(...history())
      .when(cmd.pay('RecordPaymentAuthorized', 1, 2501, 'pi_1'))
      .thenRejects('PAYMENT.AMOUNT_EXCEEDS_ORDER');
    given(...history(), fact('PaymentCaptured', 'capturedAt', 'pi_1', 2000))
      .when(cmd.pay('RecordPaymentCaptured', 1, 501, 'pi_2'))
      .thenRejects('PAYMENT.AMOUNT_EXCEEDS_ORDER', { captured: 2000 });
    given(...history(), fact('PaymentCaptured', 'capturedAt', 'pi_1', 2000))
      .when(cmd.pay('RecordPaymentCaptured', 1, 500, 'pi_2'))
      .then([fact('PaymentCaptured', 'capturedAt', 'pi_2', 500)]);
  });

  it("rejects a fact in another currency than the drop's", () => {
    given(...history())
      .when({ ...cmd.pay('RecordPaymentCaptured', 1, 2500, 'pi_1'), currency: 'EUR' } as DropCommand)
      .thenRejects('PAYMENT.CURRENCY_MISMATCH', { field: 'currency', expected: 'GBP' });
    given(...history())
      .when({ ...cmd.pay('RecordPaymentCaptured', 1, 2500, 'pi_1'), currency: 'GBP' } as DropCommand)
      .then([fact('PaymentCaptured', 'capturedAt')]);
  });
});

describe('RequestRefund (one pre-order, by ops)', () => {
  it('requests a refund of the pre-order total', () => {
    given(...tipped())
      .when(cmd.refund(3))
      .then([
        {
          type: 'RefundRequested',
          data: {
            dropId: DROP_ID,
            preOrderId: po(3),
            customerId: 'customer-3',
            amount: 6750,
            currency: 'GBP',
            reason: 'not covered by production',
            requestedAt: T_DONE,
          },
        },
      ]);
    // #3 is 3 units at tier 0 with the 10 % basket: 2 500 × 3 × 0.9 = 6 750.
  });

  it('returns [] when a refund was already requested', () => {
    given(...tipped(), ...eventsOfAfter(tipped(), cmd.refund(3)))
      .when(cmd.refund(3, 'again'))
      .then([]);
  });

  it('rejects an unknown pre-order', () => {
    given(...tipped())
      .when(cmd.refund(9))
      .thenRejects('PREORDER.NOT_FOUND');
  });
});

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

describe('fulfillment', () => {
  it('DispatchShipment → ShipmentDispatched; ConfirmDelivery → ShipmentDelivered', () => {
    given(...fulfilling())
      .when(cmd.dispatch(1))
      .then([
        {
          type: 'ShipmentDispatched',
          data: { dropId: DROP_ID, preOrderId: po(1), carrier: 'Royal Mail', trackingNumber: 'TRK-1', dispatchedAt: T_SHIP },
        },
      ]);
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.dispatch(1)))
      .when(cmd.deliver(1))
      .then([{ type: 'ShipmentDelivered', data: { dropId: DROP_ID, preOrderId: po(1), deliveredAt: T_DELIVERED } }]);
  });

  it('MarkReadyForPickup → ReadyForPickup; ConfirmPickup → PreOrderPickedUp', () => {
    given(...fulfilling())
      .when(cmd.ready(2))
      .then([{ type: 'ReadyForPickup', data: { dropId: DROP_ID, preOrderId: po(2), locationId: 'popup-harbourside', readyAt: T_SHIP } }]);
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.ready(2)))
      .when(cmd.pickUp(2))
      .then([
        {
          type: 'PreOrderPickedUp',
          data: { dropId: DROP_ID, preOrderId: po(2), locationId: 'popup-harbourside', pickedUpAt: T_PICKED_UP },
        },
      ]);
  });

  it('returns [] for repeated hand-over steps', () => {
    const all = handedOver();
    given(...all)
      .when(cmd.dispatch(1))
      .then([]);
    given(...all)
      .when(cmd.deliver(1))
      .then([]);
    given(...all)
      .when(cmd.ready(2))
      .then([]);
    given(...all)
      .when(cmd.pickUp(2))
      .then([]);
  });

  it('rejects the wrong method', () => {
    given(...fulfilling())
      .when(cmd.dispatch(2))
      .thenRejects('FULFILLMENT.WRONG_METHOD', { method: 'pickup' });
    given(...fulfilling())
      .when(cmd.ready(1))
      .thenRejects('FULFILLMENT.WRONG_METHOD', { method: 'ship' });
  });

  it('rejects a pre-order not covered by production', () => {
    given(...fulfilling())
      .when(cmd.dispatch(3))
      .thenRejects('FULFILLMENT.NOT_COVERED');
    given(...tipped())
      .when(cmd.dispatch(1))
      .thenRejects('FULFILLMENT.NOT_COVERED');
  });

  it('rejects steps out of order', () => {
    given(...fulfilling())
      .when(cmd.deliver(1))
      .thenRejects('FULFILLMENT.INVALID_STATE', { expected: 'dispatched' });
    given(...fulfilling())
      .when(cmd.pickUp(2))
      .thenRejects('FULFILLMENT.INVALID_STATE', { expected: 'ready-for-pickup' });
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.dispatch(1)))
      .when(cmd.dispatch(1, 'OTHER'))
      .thenRejects('FULFILLMENT.INVALID_STATE');
  });

  it('refuses to hand over a pre-order with a refund requested', () => {
    given(...fulfilling(), ...eventsOfAfter(fulfilling(), cmd.refund(1)))
      .when(cmd.dispatch(1))
      .thenRejects('FULFILLMENT.INVALID_STATE', { refundRequested: true });
  });

  it('rejects an unknown pre-order', () => {
    given(...fulfilling())
      .when(cmd.dispatch(9))
      .thenRejects('PREORDER.NOT_FOUND');
  });
});

describe('returns', () => {
  const requested = (n: number, at: string, reason = 'too-small'): DropEvent =>
    ({
      type: 'ReturnRequested',
      data: { dropId: DROP_ID, returnId: `${po(n)}.ret.1`, preOrderId: po(n), reason, requestedAt: at },
    }) as DropEvent;

  it('RequestReturn within the return window → ReturnRequested', () => {
    given(...handedOver())
      .when(cmd.requestReturn(1, '2027-01-02T10:00:00Z'))
      .then([requested(1, '2027-01-02T10:00:00Z')]);
  });

  it('RequestReturn is refused once returnWindowDays have passed since delivery', () => {
    // Delivered Dec 28 10:00 + 14 days = Jan 11 10:00.
    given(...handedOver())
      .when(cmd.requestReturn(1, '2027-01-11T09:59:59Z'))
      .then([requested(1, '2027-01-11T09:59:59Z')]);
    given(...handedOver())
      .when(cmd.requestReturn(1, '2027-01-11T10:00:00Z'))
      .thenRejects('RETURN.WINDOW_EXPIRED', { deadline: '2027-01-11T10:00:00.000Z' });
  });

  it('RequestReturn is idempotent on the return id and allows one return per pre-order', () => {
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when(cmd.requestReturn(1, '2027-01-03T10:00:00Z'))
      .then([]);
    given(...history)
      .when(cmd.requestReturn(1, '2027-01-03T10:00:00Z', `${po(1)}.ret.1`, 'defect'))
      .thenRejects('RETURN.ALREADY_EXISTS');
    given(...history)
      .when(cmd.requestReturn(1, '2027-01-03T10:00:00Z', `${po(1)}.ret.2`))
      .thenRejects('RETURN.ALREADY_REQUESTED');
  });

  it('RequestReturn by another customer is refused exactly like an unknown pre-order, even as a repeat; ops may ask for any', () => {
    const stranger = { subject: 'customer-2', roles: ['customer'] };
    given(...handedOver())
      .when({ ...cmd.requestReturn(1, '2027-01-02T10:00:00Z'), actor: stranger } as DropCommand)
      .thenRejects('PREORDER.NOT_FOUND', { preOrderId: po(1) });
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when({ ...cmd.requestReturn(1, '2027-01-03T10:00:00Z'), actor: stranger } as DropCommand)
      .thenRejects('PREORDER.NOT_FOUND', { preOrderId: po(1) });
    given(...handedOver())
      .when({ ...cmd.requestReturn(1, '2027-01-02T10:00:00Z'), actor: OPS_ACTOR } as DropCommand)
      .then([requested(1, '2027-01-02T10:00:00Z')]);
  });

  it('RequestReturn is refused for goods not handed over, an unknown pre-order or reason', () => {
    given(...handedOver())
      .when(cmd.requestReturn(3, '2027-01-02T10:00:00Z'))
      .thenRejects('RETURN.NOT_RETURNABLE');
    given(...handedOver())
      .when(cmd.requestReturn(9, '2027-01-02T10:00:00Z'))
      .thenRejects('PREORDER.NOT_FOUND');
    given(...handedOver())
      .when({ ...cmd.requestReturn(1, '2027-01-02T10:00:00Z'), reason: 'changed-my-mind' } as unknown as DropCommand)
      .thenRejects('RETURN.INVALID_REASON');
  });

  it('ReceiveReturn → ReturnReceived; same condition again → []; another condition or unknown return → rejected', () => {
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when(cmd.receive(1))
      .then([
        {
          type: 'ReturnReceived',
          data: {
            dropId: DROP_ID,
            returnId: `${po(1)}.ret.1`,
            preOrderId: po(1),
            condition: 'restockable',
            receivedAt: '2027-01-05T10:00:00Z',
          },
        },
      ]);
    const received = [...history, ...eventsOfAfter(history, cmd.receive(1))];
    given(...received)
      .when(cmd.receive(1))
      .then([]);
    given(...received)
      .when(cmd.receive(1, 'not-restockable'))
      .thenRejects('RETURN.INVALID_STATE');
    given(...handedOver())
      .when(cmd.receive(1))
      .thenRejects('RETURN.NOT_FOUND');
  });

  it('RecordReturnRefunded → ReturnRefunded once received; duplicates → []', () => {
    const history = [...handedOver(), requested(1, '2027-01-02T10:00:00Z')];
    given(...history)
      .when(cmd.returnRefunded(1, 5000))
      .thenRejects('RETURN.NOT_RECEIVED');
    const received = [...history, ...eventsOfAfter(history, cmd.receive(1))];
    given(...received)
      .when(cmd.returnRefunded(1, 5000))
      .then([
        {
          type: 'ReturnRefunded',
          data: {
            dropId: DROP_ID,
            returnId: `${po(1)}.ret.1`,
            preOrderId: po(1),
            amount: 5000,
            currency: 'GBP',
            providerRef: 're_1',
            refundedAt: '2027-01-06T10:00:00Z',
          },
        },
      ]);
    given(...received)
      .when(cmd.returnRefunded(1, 5001))
      .thenRejects('RETURN.INVALID_AMOUNT', { total: 5000 });
    const refunded = [...received, ...eventsOfAfter(received, cmd.returnRefunded(1, 5000))];
    given(...refunded)
      .when(cmd.returnRefunded(1, 5000))
      .then([]);
    given(...refunded)
      .when(cmd.returnRefunded(1, 5000, 're_other'))
      .thenRejects('RETURN.ALREADY_REFUNDED');
  });
});

describe('CompleteDrop', () => {
  // Everything handed over or refunded: #1 delivered, #2 picked up, #4 delivered, #3 and #5 refunded.
  const settled = () => {
    const base = handedOver();
    return [
      ...base,
      ...eventsOfAfter(
        base,
        cmd.dispatch(4),
        cmd.deliver(4),
        cmd.refund(3),
        cmd.refund(5),
        cmd.pay('RecordPaymentCaptured', 3, 6750, 'pi_3'),
        cmd.pay('RecordPaymentRefunded', 3, 6750, 're_3', T_DONE),
      ),
    ];
  };

  it('completes once everything is handed over or refunded and the last return window has passed', () => {
    given(...settled())
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .then([{ type: 'DropCompleted', data: { dropId: DROP_ID, completedAt: T_RETURNS_OVER } }]);
  });

  it('is refused while the last return window is still running', () => {
    given(...settled())
      .when(cmd.completeDrop(T_LAST_RETURN_DAY))
      .thenRejects('DROP.NOT_COMPLETABLE');
  });

  it('is refused while a pre-order is neither handed over nor refunded', () => {
    given(...handedOver())
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE');
  });

  it('is refused while a refund is requested but the captured money has not come back', () => {
    const history = [...settled(), ...eventsOfAfter(settled(), cmd.pay('RecordPaymentCaptured', 5, 2500, 'pi_5'))];
    given(...history)
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE', { reason: `pre-order ${po(5)} is neither handed over nor refunded` });
  });

  it('is refused while a return is open', () => {
    const history = [...settled(), ...eventsOfAfter(settled(), cmd.requestReturn(1, '2027-01-02T10:00:00Z'))];
    given(...history)
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE', { reason: '1 return(s) still open' });
  });

  it('is refused before fulfilling and on a cancelled drop; [] when already completed', () => {
    given(...tipped())
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.NOT_COMPLETABLE');
    given(scheduled(), { type: 'DropCancelled', data: { dropId: DROP_ID, reason: 'x', cancelledAt: T_DURING } })
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .thenRejects('DROP.CANCELLED');
    const completed = [...settled(), ...eventsOfAfter(settled(), cmd.completeDrop(T_RETURNS_OVER))];
    given(...completed)
      .when(cmd.completeDrop(T_RETURNS_OVER))
      .then([]);
  });
});
