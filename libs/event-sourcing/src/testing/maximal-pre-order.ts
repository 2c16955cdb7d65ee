// Test-only (not exported from index.ts): drops and pre-orders as large as the HTTP API lets them be.
import {
  dropStreamName,
  preOrderAnswer,
  preOrderIdFor,
  type DropCommand,
  type DropDefinition,
  type DropEvent,
  type DropState,
} from '@dropline/domain';
import type { AggregateWriter, CommandOutcome } from '../aggregate-writer';
import type { CommandContext } from '../envelope';

type Writer = AggregateWriter<DropState, DropCommand, DropEvent>;
type PreOrderAnswer = NonNullable<ReturnType<typeof preOrderAnswer>>;

export const MIB = 1_048_576;
export const NOW = '2026-12-02T10:00:00Z';
// The longest values the HTTP API accepts (place-pre-order.dto.ts, params.ts, request-context.ts).
export const MAX_SKU = 'S'.repeat(64);
export const MAX_LOCATION = 'L'.repeat(64);
export const maxDropId = (name: string) => name.padEnd(64, '_');
export const maxCustomerId = (i: number, who = 'c') => `${who}${i}:`.padEnd(128, 'x');

const system: CommandContext = {
  actor: 'test',
  correlationId: 'c',
  causationId: null,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  occurredAt: NOW,
};

/** One variant of `cap` units with the longest SKU, one pickup location with the longest id, a three-step price ladder (100/200/rest). */
export function maximalDefinition(cap: number): DropDefinition {
  return {
    name: 'Hot drop',
    currency: 'GBP',
    channels: ['web'],
    variants: [{ sku: MAX_SKU, size: 'M', colour: 'red', editionCap: cap }],
    priceTiers: [{ untilUnitsSold: 100, unitPrice: 1000 }, { untilUnitsSold: 200, unitPrice: 2000 }, { unitPrice: 3000 }],
    window: { opensAt: '2026-12-01T10:00:00Z', closesAt: '2026-12-08T10:00:00Z' },
    perCustomerLimit: 1000,
    minimumOrderQuantity: 1,
    production: { microfactoryId: 'mf', leadTimeDays: 7 },
    pickupLocations: [{ locationId: MAX_LOCATION, discountPercent: 10 }],
    returnWindowDays: 14,
  };
}

/** Schedules and opens a drop of maximalDefinition(cap). */
export async function openMaximalDrop(writer: Writer, dropId: string, cap: number): Promise<void> {
  const stream = dropStreamName(dropId);
  await writer.execute(stream, { type: 'ScheduleDrop', dropId, definition: maximalDefinition(cap), now: NOW }, system, () => undefined);
  await writer.execute(stream, { type: 'OpenPreOrderWindow', dropId, now: NOW }, system, () => undefined);
}

/**
 * A pre-order as large as the API lets one be: every text field at its longest, picked up, with a
 * referral code; the customer is the actor (as with a customer token), the correlation id the longest.
 */
export function placeMaximal(writer: Writer, dropId: string, i: number, who = 'c'): Promise<CommandOutcome<DropEvent, PreOrderAnswer>> {
  const customerId = maxCustomerId(i, who);
  const preOrderId = preOrderIdFor(dropId, customerId, `k${i}-`.padEnd(128, 'k'));
  const command: DropCommand = {
    type: 'PlacePreOrder',
    dropId,
    preOrderId,
    customerId,
    sku: MAX_SKU,
    quantity: 1,
    channel: 'web',
    fulfillment: { method: 'pickup', locationId: MAX_LOCATION },
    referralCode: `R${i}-`.padEnd(64, 'r'),
    isRepeatCustomer: false,
    idempotencyFingerprint: 'f'.repeat(32),
    now: NOW,
  };
  const context: CommandContext = {
    ...system,
    actor: customerId,
    correlationId: `corr${i}-`.padEnd(128, 'z'),
    causationId: '0b7f8a52-8a4b-4d5e-9a7e-2f1c3b4d5e6f',
  };
  return writer.execute(dropStreamName(dropId), command, context, (state) => preOrderAnswer(state, preOrderId)!);
}
