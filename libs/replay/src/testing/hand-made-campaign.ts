import type { DropDefinition } from '@dropline/domain';
import type { CampaignEvent } from '../campaign/campaign-line';

/**
 * A small hand-made campaign whose replay the specs compute by hand.
 *
 * Drop `hand-1`, one SKU `TEE-M`, edition cap 10, window 2027-03-01T00:00Z → 2027-03-09T00:00Z
 * (8 UTC days, day 0 = Mar 1). What happened:
 *   day 0  po1 ×2 placed                                   demand 2
 *   day 1  po2 ×4 placed                                   demand 4
 *   day 2  po3 ×4 placed (sold out)                        demand 4
 *   day 3  4 units turned away (sold out)                  demand 4
 *   day 4  po1 cancelled (+2); po4 ×2 placed; 3 turned away demand 5
 *   day 5  5 units turned away                             demand 5
 *   day 6  po2 returned restockable (+4); po5 ×4; 3 away   demand 7
 *   day 7  9 units turned away; po3 returned NOT restockable (ignored)  demand 9
 * demand    = 2 4 4 4 5 5 7 9 (Σ 40, d̄ 5, sample σ 2.138090 — the reorder-point spec's series)
 * cancelled = 0 0 0 0 2 0 0 0, returned (restockable) = 0 0 0 0 0 0 4 0
 */
export const HAND_DROP_ID = 'hand-1';
export const HAND_SKU = 'TEE-M';

const definition: DropDefinition = {
  name: 'Hand-made tee',
  city: 'Bristol',
  currency: 'GBP',
  channels: ['web'],
  variants: [{ sku: HAND_SKU, size: 'M', colour: 'black', editionCap: 10 }],
  priceTiers: [{ unitPrice: 2000 }],
  window: { opensAt: '2027-03-01T00:00:00.000Z', closesAt: '2027-03-09T00:00:00.000Z' },
  perCustomerLimit: 10,
  minimumOrderQuantity: 5,
  production: { microfactoryId: 'mf-1', leadTimeDays: 7 },
  returnWindowDays: 14,
};

const at = (day: number, hour = 12): string => new Date(Date.UTC(2027, 2, 1 + day, hour)).toISOString();

/** The hand-made campaign in export order (by global position). */
export function handMadeCampaign(dropId = HAND_DROP_ID): CampaignEvent[] {
  const events: CampaignEvent[] = [];
  const revisions = new Map<string, number>();
  const push = (stream: string, type: string, data: Record<string, unknown>, occurredAt: string): void => {
    const revision = revisions.get(stream) ?? 0;
    revisions.set(stream, revision + 1);
    const n = events.length + 1;
    events.push({
      streamName: stream,
      revision,
      position: String(n),
      eventId: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
      type,
      schemaVersion: 1,
      recordedAt: occurredAt,
      metadata: {
        correlationId: `corr-${n}`,
        causationId: null,
        actor: 'system:test',
        occurredAt,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
      data,
    });
  };
  const drop = `drop-${dropId}`;
  const demand = `demand-${dropId}`;
  const po = (i: number): string => `${dropId}.po.${i}`;
  const placed = (i: number, quantity: number, day: number): void =>
    push(
      drop,
      'PreOrderPlaced',
      {
        dropId,
        preOrderId: po(i),
        customerId: `c-${i}`,
        sku: HAND_SKU,
        quantity,
        channel: 'web',
        fulfillment: { method: 'ship' },
        unitPrice: 2000,
        basketPercentOff: 0,
        pickupPercentOff: 0,
        total: 2000 * quantity,
        currency: 'GBP',
        tier: 0,
        sequence: i,
        idempotencyFingerprint: `f${i}`,
        placedAt: at(day),
      },
      at(day),
    );
  const away = (units: number, day: number, reason: 'sold-out' | 'insufficient-stock' = 'sold-out'): void =>
    push(
      demand,
      'DemandTurnedAway',
      { dropId, sku: HAND_SKU, units, requests: units, reason, intervalStart: at(day, 13), intervalEnd: at(day, 14) },
      at(day, 14),
    );

  push(drop, 'DropScheduled', { dropId, definition, scheduledAt: '2027-02-20T09:00:00.000Z' }, '2027-02-20T09:00:00.000Z');
  push(drop, 'PreOrderWindowOpened', { dropId, openedAt: at(0, 0) }, at(0, 0));
  placed(1, 2, 0);
  placed(2, 4, 1);
  placed(3, 4, 2);
  push(drop, 'VariantSoldOut', { dropId, sku: HAND_SKU, soldOutAt: at(2) }, at(2));
  away(4, 3);
  push(
    drop,
    'PreOrderCancelled',
    { dropId, preOrderId: po(1), customerId: 'c-1', sku: HAND_SKU, quantity: 2, cancelledAt: at(4, 9) },
    at(4, 9),
  );
  placed(4, 2, 4);
  away(3, 4, 'insufficient-stock');
  away(5, 5);
  push(
    drop,
    'ReturnReceived',
    { dropId, returnId: `${po(2)}.ret.1`, preOrderId: po(2), condition: 'restockable', receivedAt: at(6, 8) },
    at(6, 8),
  );
  placed(5, 4, 6);
  away(3, 6);
  away(9, 7);
  push(
    drop,
    'ReturnReceived',
    { dropId, returnId: `${po(3)}.ret.1`, preOrderId: po(3), condition: 'not-restockable', receivedAt: at(7, 8) },
    at(7, 8),
  );
  return events;
}
