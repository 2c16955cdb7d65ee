// Test-only fixtures shared by the after-close specs (payments, production, hand-over, returns, completion).
import { aDefinition, closeCmd, customerActor, DROP_ID, L, M, openCmd, place, scheduleCmd, T_DURING } from './drop.fixtures';
import { eventsOf, given } from './given-when-then';
import type { DropCommand } from '../drop/drop.commands';
import type { DropEvent } from '../drop/drop.events';
import type { DropState } from '../drop/drop.state';

export const po = (n: number) => `${DROP_ID}.po.${n}`;
export const RUN1 = `${DROP_ID}.run.1`;
export const RUN2 = `${DROP_ID}.run.2`;
export const T_START = '2026-12-10T08:00:00Z';
export const T_DONE = '2026-12-24T16:00:00Z';
export const T_SHIP = '2026-12-26T09:00:00Z';
export const T_DELIVERED = '2026-12-28T10:00:00Z';
export const T_PICKED_UP = '2026-12-29T10:00:00Z';
// 14 return days after the last hand-over (the pickup on Dec 29 10:00) end on Jan 12 10:00.
export const T_LAST_RETURN_DAY = '2027-01-12T09:59:59Z';
export const T_RETURNS_OVER = '2027-01-12T10:00:00Z';

export const pickupAt = { method: 'pickup', locationId: 'popup-harbourside' } as const;
export const cmd = {
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
export const sold = (): DropCommand[] => [
  scheduleCmd(aDefinition({ minimumOrderQuantity: 1 })),
  openCmd(),
  place(1, { quantity: 2 }),
  place(2, { fulfillment: pickupAt, channel: 'popup' }),
  place(3, { quantity: 3 }),
  place(4, { sku: L }),
  place(5),
];
export const tipped = () => eventsOf(...sold(), closeCmd());
// Good M = 6 − 1 = 5: #1 (2) and #2 (1) fit, #3 (3) does not; #5 stays behind #3 although 2 are left.
export const fulfilling = () => eventsOf(...sold(), closeCmd(), cmd.start(), cmd.complete({ [M]: 6, [L]: 1 }, { [M]: 1 }));
export const handedOver = () => [
  ...fulfilling(),
  ...eventsOfAfter(fulfilling(), cmd.dispatch(1), cmd.deliver(1), cmd.ready(2), cmd.pickUp(2)),
];

/** Pre-order ids per covering run, in acceptance order. */
export function coveredBy(state: DropState): Record<string, string[]> {
  if (state.status === 'initial') return {};
  const out: Record<string, string[]> = {};
  for (const p of state.acceptance) if (p.coveredByRunId !== undefined) (out[p.coveredByRunId] ??= []).push(p.preOrderId);
  return out;
}

/** Events `commands` cause after `history` (decided one after another). */
export function eventsOfAfter(history: DropEvent[], ...commands: DropCommand[]): DropEvent[] {
  const out: DropEvent[] = [];
  for (const command of commands) {
    const events = given(...history, ...out)
      .when(command)
      .events();
    out.push(...events);
  }
  return out;
}
