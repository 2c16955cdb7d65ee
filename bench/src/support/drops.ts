import { randomUUID } from 'node:crypto';
import type { DropDefinition } from '@dropline/domain';
import type { CommandContext } from '@dropline/event-sourcing';

export const HOT_SKU = 'HOT-M';
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

/** A one-variant drop with a price ladder, open from `opensAt` for a week. */
export function hotDropDefinition(cap: number, opensAt: string): DropDefinition {
  const opens = new Date(opensAt).getTime();
  return {
    name: 'Bench hot drop',
    currency: 'GBP',
    channels: ['web'],
    variants: [{ sku: HOT_SKU, size: 'M', colour: 'black', editionCap: cap }],
    priceTiers: [
      { untilUnitsSold: Math.max(1, Math.floor(cap / 4)), unitPrice: 2500 },
      { untilUnitsSold: Math.max(2, Math.floor(cap / 2)), unitPrice: 3000 },
      { unitPrice: 3500 },
    ],
    window: { opensAt: new Date(opens).toISOString(), closesAt: new Date(opens + 7 * 86_400_000).toISOString() },
    perCustomerLimit: 4,
    minimumOrderQuantity: 1,
    production: { microfactoryId: 'mf-bench', leadTimeDays: 14 },
    returnWindowDays: 14,
  };
}

/** The envelope context of one benchmark command (what the HTTP layer would build per request). */
export function benchContext(occurredAt: string): CommandContext {
  const id = randomUUID();
  return { actor: 'bench', correlationId: id, causationId: id, traceparent: TRACEPARENT, occurredAt };
}

/** The HTTP body of a 1-unit pre-order. */
export function preOrderBody(customerId: string): Record<string, unknown> {
  return { customerId, sku: HOT_SKU, quantity: 1, channel: 'web', fulfillment: { method: 'ship' } };
}
