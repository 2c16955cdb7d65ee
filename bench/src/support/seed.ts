import { randomUUID } from 'node:crypto';
import { HOT_SKU } from './drops';

/** One synthetic PreOrderPlaced, the same for every store that is seeded or appended to. */
export function preOrderPlaced(dropId: string, sequence: number, at: string) {
  const customerId = `c-${sequence}`;
  return {
    type: 'PreOrderPlaced',
    data: {
      dropId,
      preOrderId: `${dropId}.po.${sequence.toString(16).padStart(20, '0')}`,
      customerId,
      sku: HOT_SKU,
      quantity: 1,
      channel: 'web',
      fulfillment: { method: 'ship' },
      unitPrice: 2500,
      basketPercentOff: 0,
      pickupPercentOff: 0,
      total: 2500,
      currency: 'GBP',
      tier: 0,
      sequence,
      idempotencyFingerprint: `${customerId}/1`,
      placedAt: at,
    } as Record<string, unknown>,
    metadata: {
      correlationId: randomUUID(),
      causationId: null,
      actor: 'bench',
      occurredAt: at,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    } as Record<string, unknown>,
  };
}
