// Test and benchmark fixtures: plausible drop histories (seeded, so every run is the same) and
// a helper that appends them to a store interleaved across drops, as live traffic would.
import { randomUUID } from 'node:crypto';
import { DAY_MS, DropDefinition, DropEvent, dropStreamName, RETURN_REASONS, schemaVersionOf } from '@dropline/domain';
import type { EventStore, NewEvent } from '@dropline/event-store';

/** Small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TimedEvent {
  event: DropEvent;
  at: string;
}

export interface HistoryOptions {
  /** Pre-order attempts during the window. */
  orders: number;
  /** Edition cap per SKU (two SKUs). */
  caps?: [number, number];
  /** Lead time of the microfactory in days. */
  leadTimeDays?: number;
}

/** The full life of one drop: scheduling, sales and cancellations, tipping, production, hand-over, returns. */
export function dropHistory(dropId: string, seed: number, options: HistoryOptions): TimedEvent[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const caps = options.caps ?? [40, 15];
  const skus = [`${dropId}-M`, `${dropId}-L`];
  const opensMs = Date.parse('2026-12-01T10:00:00Z');
  const closesMs = opensMs + 7 * DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const definition: DropDefinition = {
    name: `Drop ${dropId}`,
    city: pick(['Bristol', 'Leeds', 'Glasgow']),
    currency: 'GBP',
    channels: ['web', 'popup'],
    variants: skus.map((sku, i) => ({ sku, size: i ? 'L' : 'M', colour: 'navy', editionCap: caps[i] })),
    priceTiers: [{ untilUnitsSold: 10, unitPrice: 2500 }, { untilUnitsSold: 30, unitPrice: 3000 }, { unitPrice: 3500 }],
    window: { opensAt: iso(opensMs), closesAt: iso(closesMs) },
    earlyAccess: { opensAt: iso(opensMs - DAY_MS), audience: 'repeat-customers' },
    perCustomerLimit: 4,
    minimumOrderQuantity: 10,
    production: { microfactoryId: 'mf-1', leadTimeDays: options.leadTimeDays ?? 5 },
    pickupLocations: [{ locationId: 'popup-1', discountPercent: 10 }],
    returnWindowDays: 14,
  };
  const out: TimedEvent[] = [];
  const push = (event: DropEvent, ms: number) => out.push({ event, at: iso(ms) });
  push({ type: 'DropScheduled', data: { dropId, definition, scheduledAt: iso(opensMs - 10 * DAY_MS) } }, opensMs - 10 * DAY_MS);
  push({ type: 'EarlyAccessOpened', data: { dropId, audience: 'repeat-customers', openedAt: iso(opensMs - DAY_MS) } }, opensMs - DAY_MS);
  push({ type: 'PreOrderWindowOpened', data: { dropId, openedAt: iso(opensMs) } }, opensMs);

  interface Po {
    id: string;
    customerId: string;
    sku: string;
    quantity: number;
    method: 'ship' | 'pickup';
    total: number;
    active: boolean;
  }
  const net = new Map(skus.map((s) => [s, 0]));
  const pos: Po[] = [];
  let unitsSold = 0;
  let t = opensMs;
  const step = (closesMs - opensMs - 60_000) / Math.max(1, options.orders);
  for (let i = 0; i < options.orders; i++) {
    // Bursty days: some steps jump ahead, so there are zero-sale days and varying daily sales.
    t += step * (rnd() < 0.1 ? 3 * rnd() : rnd());
    if (t >= closesMs - 1000) break;
    const active = pos.filter((p) => p.active);
    if (active.length > 0 && rnd() < 0.15) {
      const p = pick(active);
      p.active = false;
      net.set(p.sku, net.get(p.sku)! - p.quantity);
      push(
        {
          type: 'PreOrderCancelled',
          data: { dropId, preOrderId: p.id, customerId: p.customerId, sku: p.sku, quantity: p.quantity, cancelledAt: iso(t) },
        },
        t,
      );
      continue;
    }
    const sku = pick(skus);
    const quantity = 1 + Math.floor(rnd() * 3);
    const cap = caps[skus.indexOf(sku)];
    if (net.get(sku)! + quantity > cap) continue;
    const tier = unitsSold < 10 ? 0 : unitsSold < 30 ? 1 : 2;
    const unitPrice = definition.priceTiers[tier].unitPrice;
    const method = rnd() < 0.3 ? 'pickup' : 'ship';
    const total = Math.round(unitPrice * quantity * (method === 'pickup' ? 0.9 : 1));
    const p: Po = { id: `${dropId}.po.${i}`, customerId: `c-${Math.floor(rnd() * 50)}`, sku, quantity, method, total, active: true };
    pos.push(p);
    net.set(sku, net.get(sku)! + quantity);
    unitsSold += quantity;
    push(
      {
        type: 'PreOrderPlaced',
        data: {
          dropId,
          preOrderId: p.id,
          customerId: p.customerId,
          sku,
          quantity,
          channel: pick(['web', 'popup'] as const),
          fulfillment: method === 'pickup' ? { method: 'pickup', locationId: 'popup-1' } : { method: 'ship' },
          unitPrice,
          basketPercentOff: 0,
          pickupPercentOff: method === 'pickup' ? 10 : 0,
          total,
          currency: 'GBP',
          tier,
          sequence: pos.length,
          idempotencyFingerprint: `fp-${i}`,
          placedAt: iso(t),
        },
      },
      t,
    );
  }
  const netUnits = [...net.values()].reduce((a, b) => a + b, 0);
  const activePos = pos.filter((p) => p.active);
  push(
    { type: 'PreOrderWindowClosed', data: { dropId, unitsSold, netUnits, activePreOrders: activePos.length, closedAt: iso(closesMs) } },
    closesMs,
  );
  let at = closesMs;
  if (netUnits < definition.minimumOrderQuantity) {
    push({ type: 'DropCancelled', data: { dropId, reason: 'MOQ not met', cancelledAt: iso(at) } }, at);
    for (const p of activePos) {
      at += 1000;
      push(
        {
          type: 'RefundRequested',
          data: {
            dropId,
            preOrderId: p.id,
            customerId: p.customerId,
            amount: p.total,
            currency: 'GBP',
            reason: 'drop-cancelled',
            requestedAt: iso(at),
          },
        },
        at,
      );
    }
    return out;
  }
  push(
    { type: 'TippingPointReached', data: { dropId, netUnits, minimumOrderQuantity: definition.minimumOrderQuantity, reachedAt: iso(at) } },
    at,
  );
  const runId = `${dropId}.run.1`;
  const unitsBySku = Object.fromEntries(skus.map((s) => [s, net.get(s)!]));
  push({ type: 'ProductionRunRequested', data: { dropId, runId, microfactoryId: 'mf-1', unitsBySku, requestedAt: iso(at) } }, at);
  at += DAY_MS;
  push({ type: 'ProductionRunStarted', data: { dropId, runId, startedAt: iso(at) } }, at);
  at += 3 * DAY_MS;
  const rejectedBySku = Object.fromEntries(skus.map((s) => [s, Math.floor(rnd() * 2)]));
  const producedBySku = Object.fromEntries(skus.map((s) => [s, net.get(s)! + rejectedBySku[s]]));
  push(
    {
      type: 'ProductionRunCompleted',
      data: {
        dropId,
        runId,
        producedBySku,
        rejectedBySku,
        goodBySku: unitsBySku,
        surplusBySku: Object.fromEntries(skus.map((s) => [s, 0])),
        // Good units = net units: the allocation rule covers every active pre-order.
        coveredPreOrderCount: activePos.length,
        uncoveredPreOrderCount: 0,
        completedAt: iso(at),
      },
    },
    at,
  );
  for (const p of activePos) {
    at += 60_000;
    if (p.method === 'ship') {
      push(
        {
          type: 'ShipmentDispatched',
          data: { dropId, preOrderId: p.id, carrier: 'royal-mail', trackingNumber: `T${p.id}`, dispatchedAt: iso(at) },
        },
        at,
      );
      if (rnd() < 0.9) push({ type: 'ShipmentDelivered', data: { dropId, preOrderId: p.id, deliveredAt: iso(at + DAY_MS) } }, at + DAY_MS);
      else continue;
    } else {
      push({ type: 'ReadyForPickup', data: { dropId, preOrderId: p.id, locationId: 'popup-1', readyAt: iso(at) } }, at);
      if (rnd() < 0.9)
        push(
          { type: 'PreOrderPickedUp', data: { dropId, preOrderId: p.id, locationId: 'popup-1', pickedUpAt: iso(at + DAY_MS) } },
          at + DAY_MS,
        );
      else continue;
    }
    if (rnd() < 0.25) {
      const returnId = `${p.id}.ret.1`;
      const r = at + 2 * DAY_MS;
      push({ type: 'ReturnRequested', data: { dropId, returnId, preOrderId: p.id, reason: pick(RETURN_REASONS), requestedAt: iso(r) } }, r);
      push(
        {
          type: 'ReturnReceived',
          data: {
            dropId,
            returnId,
            preOrderId: p.id,
            condition: rnd() < 0.6 ? 'restockable' : 'not-restockable',
            receivedAt: iso(r + DAY_MS),
          },
        },
        r + DAY_MS,
      );
      if (rnd() < 0.8) {
        push(
          {
            type: 'ReturnRefunded',
            data: {
              dropId,
              returnId,
              preOrderId: p.id,
              amount: p.total,
              currency: 'GBP',
              providerRef: `ref-${returnId}`,
              refundedAt: iso(r + 2 * DAY_MS),
            },
          },
          r + 2 * DAY_MS,
        );
      }
    }
  }
  return out;
}

/** The storage envelope of a fixture event. */
export function toNewFixtureEvent({ event, at }: TimedEvent): NewEvent {
  const eventId = randomUUID();
  // A trace of its own per event, as each request has: its ids from the event id's hex digits.
  const hex = eventId.replaceAll('-', '');
  return {
    eventId,
    type: event.type,
    schemaVersion: schemaVersionOf(event.type),
    data: event.data as Record<string, unknown>,
    metadata: {
      correlationId: 'fixture',
      causationId: null,
      actor: 'system:fixture',
      occurredAt: at,
      traceparent: `00-${hex}-${hex.slice(0, 16)}-01`,
    },
  };
}

/** Appends every history, a few events per drop at a time round-robin, so drops interleave in the global log. */
export async function appendInterleaved(store: EventStore, histories: Map<string, TimedEvent[]>, chunk = 7): Promise<number> {
  const cursors = new Map([...histories.keys()].map((id) => [id, 0]));
  let appended = 0;
  while (cursors.size > 0) {
    for (const [dropId, i] of [...cursors]) {
      const events = histories.get(dropId)!.slice(i, i + chunk);
      if (events.length === 0) {
        cursors.delete(dropId);
        continue;
      }
      await store.appendToStream(dropStreamName(dropId), events.map(toNewFixtureEvent), 'any');
      appended += events.length;
      cursors.set(dropId, i + chunk);
    }
  }
  return appended;
}
