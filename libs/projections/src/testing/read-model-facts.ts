// Unit-test support for the read models' evolves: a drop definition and facts built by hand.
import type { DropDefinition, DropEvent } from '@dropline/domain';
import type { PreOrderRow } from '../drops/read-models/customer-pre-orders.read-model';
import type { DropFact } from '../drops/read-models/drop-fact';

export const DEFINITION: DropDefinition = {
  name: 'Drop u1',
  city: 'Leeds',
  currency: 'GBP',
  channels: ['web', 'popup'],
  variants: [
    { sku: 'TEE-M', size: 'M', colour: 'navy', editionCap: 10 },
    { sku: 'TEE-L', size: 'L', colour: 'navy', editionCap: 5 },
  ],
  priceTiers: [{ untilUnitsSold: 3, unitPrice: 2500 }, { unitPrice: 3000 }],
  window: { opensAt: '2027-01-01T10:00:00.000Z', closesAt: '2027-01-08T10:00:00.000Z' },
  perCustomerLimit: 4,
  minimumOrderQuantity: 4,
  production: { microfactoryId: 'mf-1', leadTimeDays: 5 },
  pickupLocations: [{ locationId: 'popup-1', discountPercent: 10 }],
  returnWindowDays: 14,
};

/**
 * DEFINITION with access phases: members (an allocation of TEE-M), the city, and the public window
 * listed last under its own name (`launch`); the window closes at sell-out.
 */
export const PHASED_DEFINITION: DropDefinition = {
  ...DEFINITION,
  phases: [
    { name: 'members', opensAt: '2026-12-29T10:00:00.000Z', audience: 'members', allocation: { 'TEE-M': 4 } },
    { name: 'city', opensAt: '2026-12-31T10:00:00.000Z', audience: 'city' },
    { name: 'launch', opensAt: DEFINITION.window.opensAt, audience: 'everyone' },
  ],
  onSellOut: 'close',
};

let revision = 0;

/** A fact of drop u1 at `at`, naming `preOrder` (its facts before the event) if given. */
export function fact(event: DropEvent, at = '2027-01-02T12:00:00.000Z', preOrder?: PreOrderRow): DropFact<PreOrderRow> {
  const data = event.data as { preOrderId?: string; runId?: string };
  return {
    dropId: 'u1',
    revision: revision,
    eventId: `00000000-0000-4000-8000-${String(revision++).padStart(12, '0')}`,
    correlationId: 'test-correlation',
    traceparent: '',
    at,
    atMs: Date.parse(at),
    event,
    preOrderId: data.preOrderId,
    runId: data.runId,
    preOrder,
    runKnown: false,
  };
}

export function placed(preOrderId: string, sku: string, quantity: number, placedAt = '2027-01-02T12:00:00.000Z'): DropEvent {
  return {
    type: 'PreOrderPlaced',
    data: {
      dropId: 'u1',
      preOrderId,
      customerId: `c-${preOrderId}`,
      sku,
      quantity,
      channel: 'web',
      fulfillment: { method: 'ship' },
      unitPrice: 2500,
      basketPercentOff: 0,
      pickupPercentOff: 0,
      total: 2500 * quantity,
      currency: 'GBP',
      tier: 0,
      sequence: 1,
      idempotencyFingerprint: 'f',
      placedAt,
    },
  } as DropEvent;
}
