import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { DropDefinition } from '@dropline/domain';
import { toCampaignLine } from '../campaign/campaign-line';

/** Shape of a generated campaign. */
export interface SyntheticCampaignOptions {
  events: number;
  drops?: number;
  skusPerDrop?: number;
  windowDays?: number;
  /** Seed of the generator: the same options write the same bytes. */
  seed?: number;
}

// mulberry32: tiny, fast, and the same sequence on every machine.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uuid = (n: number): string => {
  const hex = n.toString(16).padStart(20, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(12, 15)}-8${hex.slice(15, 18)}-${hex.slice(18)}0000000000`;
};

/**
 * Writes a realistic campaign file of about `events` events for benchmarks and demos: drops
 * opening a day apart with a few SKUs each, demand that rises towards the close, sell-outs with
 * turned-away demand, cancellations, payments, restockable and non-restockable returns.
 * Every line carries the full envelope, as an export does.
 */
export async function writeSyntheticCampaign(path: string, options: SyntheticCampaignOptions): Promise<number> {
  const drops = options.drops ?? 40;
  const skusPerDrop = options.skusPerDrop ?? 5;
  const windowDays = options.windowDays ?? 21;
  const rnd = random(options.seed ?? 42);
  const out = createWriteStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const revisions = new Map<string, number>();
  let written = 0;
  let buffer: string[] = [];
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const text = `${buffer.join('\n')}\n`;
    buffer = [];
    if (!out.write(text)) await once(out, 'drain');
  };
  const push = async (stream: string, type: string, data: Record<string, unknown>, at: string): Promise<void> => {
    const revision = revisions.get(stream) ?? 0;
    revisions.set(stream, revision + 1);
    written++;
    buffer.push(
      toCampaignLine({
        streamName: stream,
        revision,
        position: `${1000 + written}:${written}`,
        eventId: uuid(written),
        type,
        schemaVersion: 1,
        recordedAt: at,
        metadata: {
          correlationId: uuid(written + 1e9),
          causationId: null,
          actor: 'anonymous',
          occurredAt: at,
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
        data,
      }),
    );
    if (buffer.length >= 5000) await flush();
  };

  const start = Date.UTC(2027, 0, 4, 10);
  const perDrop = Math.ceil(options.events / drops);
  for (let d = 0; d < drops; d++) {
    const dropId = `cmp-${String(d).padStart(3, '0')}`;
    const opens = start + d * 86_400_000;
    const skus = Array.from({ length: skusPerDrop }, (_, i) => `SKU-${d}-${i}`);
    const caps = skus.map(() => Math.floor(perDrop * (0.08 + rnd() * 0.12)));
    const definition: DropDefinition = {
      name: `Campaign drop ${d}`,
      city: ['Bristol', 'Leeds', 'Glasgow'][d % 3],
      currency: 'GBP',
      channels: ['web', 'app'],
      variants: skus.map((sku, i) => ({ sku, size: ['S', 'M', 'L', 'XL', 'XXL'][i % 5], colour: 'navy', editionCap: caps[i] })),
      priceTiers: [{ untilUnitsSold: 100, unitPrice: 2500 }, { unitPrice: 3000 }],
      window: { opensAt: new Date(opens).toISOString(), closesAt: new Date(opens + windowDays * 86_400_000).toISOString() },
      perCustomerLimit: 4,
      minimumOrderQuantity: 50,
      production: { microfactoryId: 'mf-1', leadTimeDays: 14 },
      returnWindowDays: 14,
    };
    const stream = `drop-${dropId}`;
    await push(
      stream,
      'DropScheduled',
      { dropId, definition, scheduledAt: new Date(opens - 86_400_000).toISOString() },
      new Date(opens - 86_400_000).toISOString(),
    );
    await push(stream, 'PreOrderWindowOpened', { dropId, openedAt: new Date(opens).toISOString() }, new Date(opens).toISOString());
    const sold = skus.map(() => 0);
    const placed: Array<{ preOrderId: string; sku: string; quantity: number }> = [];
    for (let i = 0; i < perDrop - 2 && written < options.events; i++) {
      // Demand ramps up towards the close: the day is drawn from a rising triangle.
      const day = Math.floor(windowDays * Math.sqrt(rnd()));
      const at = new Date(opens + day * 86_400_000 + Math.floor(rnd() * 86_000_000)).toISOString();
      const k = Math.min(skusPerDrop - 1, Math.floor(-Math.log(1 - rnd()) * 1.5));
      const sku = skus[k];
      const roll = rnd();
      if (roll < 0.07 && placed.length > 0) {
        const p = placed[Math.floor(rnd() * placed.length)];
        await push(
          stream,
          'PreOrderCancelled',
          { dropId, preOrderId: p.preOrderId, customerId: 'c', sku: p.sku, quantity: p.quantity, cancelledAt: at },
          at,
        );
      } else if (roll < 0.11 && placed.length > 0) {
        const p = placed[Math.floor(rnd() * placed.length)];
        await push(
          stream,
          'ReturnReceived',
          {
            dropId,
            returnId: `${p.preOrderId}.ret.1`,
            preOrderId: p.preOrderId,
            condition: rnd() < 0.7 ? 'restockable' : 'not-restockable',
            receivedAt: at,
          },
          at,
        );
      } else if (roll < 0.2 && placed.length > 0) {
        const p = placed[Math.floor(rnd() * placed.length)];
        await push(
          stream,
          'PaymentCaptured',
          { dropId, preOrderId: p.preOrderId, amount: 2500 * p.quantity, currency: 'GBP', providerRef: `pay-${written}`, capturedAt: at },
          at,
        );
      } else {
        const quantity = 1 + Math.floor(rnd() * rnd() * 3);
        if (sold[k] + quantity > caps[k]) {
          await push(
            `demand-${dropId}`,
            'DemandTurnedAway',
            {
              dropId,
              sku,
              units: quantity,
              requests: 1,
              reason: sold[k] >= caps[k] ? 'sold-out' : 'insufficient-stock',
              intervalStart: at,
              intervalEnd: at,
            },
            at,
          );
        } else {
          sold[k] += quantity;
          const preOrderId = `${dropId}.po.${written.toString(16).padStart(20, '0')}`;
          placed.push({ preOrderId, sku, quantity });
          await push(
            stream,
            'PreOrderPlaced',
            {
              dropId,
              preOrderId,
              customerId: `c-${written}`,
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
              sequence: placed.length,
              idempotencyFingerprint: `f${written}`,
              placedAt: at,
            },
            at,
          );
        }
      }
    }
  }
  await flush();
  out.end();
  await once(out, 'finish');
  return written;
}
