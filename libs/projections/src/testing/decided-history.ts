// Test support: drop histories produced by the Drop decider itself (commands decided in turn
// against the evolving state), so the events carry exactly the shapes, ids and side effects the
// engine writes — tipping with its production run request, coverage, refunds after a cancellation.
import {
  DAY_MS,
  DomainError,
  DropCommand,
  DropDefinition,
  dropDecider,
  DropState,
  preOrderIdFor,
  productionRunIdFor,
  RETURN_REASONS,
  returnIdFor,
} from '@dropline/domain';
import { seededRandom, TimedEvent } from './drop-history';

export interface DecidedHistoryOptions {
  /** PlacePreOrder commands sent during early access and the window (some are rejected: sold out, limits). */
  orders: number;
  /** Edition caps of the drop's two SKUs. */
  caps?: [number, number];
  minimumOrderQuantity?: number;
}

type Command = DropCommand extends infer C ? (C extends DropCommand ? Omit<C, 'dropId' | 'now'> : never) : never;

/**
 * The life of one drop as the engine would record it: every event comes out of
 * `dropDecider.decide`, commands the domain rejects (sold out, limit exceeded, …) leave no
 * event, exactly as in production. Seeded, so a run is repeatable.
 */
export function decidedDropHistory(dropId: string, seed: number, options: DecidedHistoryOptions): TimedEvent[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const caps = options.caps ?? [30, 12];
  const skus = [`${dropId}-M`, `${dropId}-L`];
  const opensMs = Date.parse('2026-12-01T10:00:00Z') + Math.floor(rnd() * 5) * DAY_MS;
  const closesMs = opensMs + 5 * DAY_MS;
  const iso = (ms: number) => new Date(ms).toISOString();
  const definition: DropDefinition = {
    name: `Drop ${dropId}`,
    city: pick(['Bristol', 'Leeds', 'Glasgow']),
    currency: 'GBP',
    channels: ['web', 'popup'],
    variants: skus.map((sku, i) => ({ sku, size: i ? 'L' : 'M', colour: 'navy', editionCap: caps[i] })),
    priceTiers: [{ untilUnitsSold: 8, unitPrice: 2500 }, { untilUnitsSold: 20, unitPrice: 3000 }, { unitPrice: 3500 }],
    basketTiers: [{ minQuantity: 3, percentOff: 10 }],
    window: { opensAt: iso(opensMs), closesAt: iso(closesMs) },
    earlyAccess: { opensAt: iso(opensMs - DAY_MS), audience: 'repeat-customers' },
    perCustomerLimit: 4,
    minimumOrderQuantity: options.minimumOrderQuantity ?? 10,
    production: { microfactoryId: 'mf-1', leadTimeDays: 3 + Math.floor(rnd() * 10) },
    pickupLocations: [{ locationId: 'popup-1', discountPercent: 10 }],
    returnWindowDays: 14,
  };

  let state: DropState = dropDecider.initialState();
  const out: TimedEvent[] = [];
  const run = (command: Command, ms: number): boolean => {
    const now = iso(ms);
    try {
      const events = dropDecider.decide({ ...command, dropId, now } as DropCommand, state);
      for (const event of events) {
        state = dropDecider.evolve(state, event);
        out.push({ event, at: now });
      }
      return events.length > 0;
    } catch (e) {
      if (e instanceof DomainError) return false;
      throw e;
    }
  };

  run({ type: 'ScheduleDrop', definition }, opensMs - 10 * DAY_MS);
  run({ type: 'OpenAccessPhase', phase: 'early-access' }, opensMs - DAY_MS);
  const placed: Array<{ id: string; customerId: string; method: 'ship' | 'pickup' }> = [];
  let t = opensMs - DAY_MS;
  const step = (closesMs - t - 60_000) / Math.max(1, options.orders);
  for (let i = 0; i < options.orders; i++) {
    const before = t;
    t += step * (rnd() < 0.1 ? 3 * rnd() : rnd());
    if (before < opensMs && t >= opensMs) run({ type: 'OpenPreOrderWindow' }, opensMs);
    if (t >= closesMs - 1000) break;
    if (placed.length > 0 && rnd() < 0.12) {
      const p = pick(placed);
      run({ type: 'CancelPreOrder', preOrderId: p.id, actor: { subject: p.customerId, roles: ['customer'] } }, t);
      continue;
    }
    const customerId = `c-${Math.floor(rnd() * 40)}`;
    const method = rnd() < 0.3 ? 'pickup' : 'ship';
    const preOrderId = preOrderIdFor(dropId, customerId, `k-${i}`);
    const ok = run(
      {
        type: 'PlacePreOrder',
        preOrderId,
        customerId,
        sku: pick(skus),
        quantity: 1 + Math.floor(rnd() * 3),
        channel: pick(['web', 'popup'] as const),
        fulfillment: method === 'pickup' ? { method: 'pickup', locationId: 'popup-1' } : { method: 'ship' },
        isRepeatCustomer: rnd() < 0.5,
        idempotencyFingerprint: `fp-${i}`,
      },
      t,
    );
    if (ok) placed.push({ id: preOrderId, customerId, method });
  }
  if (t < opensMs) run({ type: 'OpenPreOrderWindow' }, opensMs);
  let at = closesMs;
  run({ type: 'ClosePreOrderWindow' }, at);
  if (state.status === 'cancelled') {
    at += 60_000;
    while (run({ type: 'RequestRefunds', maxCount: 5 }, at)) at += 1000;
    return out;
  }
  const runId = productionRunIdFor(dropId, 1);
  at += DAY_MS;
  run({ type: 'StartProductionRun', runId }, at);
  at += 3 * DAY_MS;
  const units = state.status === 'in-production' ? (state.runs.get(runId)?.unitsBySku ?? {}) : {};
  const rejectedBySku = Object.fromEntries(Object.keys(units).map((s) => [s, Math.floor(rnd() * 2)]));
  // Sometimes one unit short: the last pre-orders of that SKU stay uncovered and get refunded.
  const short = rnd() < 0.3 ? 1 : 0;
  const producedBySku = Object.fromEntries(Object.entries(units).map(([s, u]) => [s, Math.max(0, u + rejectedBySku[s] - short)]));
  run({ type: 'CompleteProductionRun', runId, producedBySku, rejectedBySku }, at);
  for (const p of placed) {
    at += 60_000;
    if (!isCovered(state, p.id)) {
      run({ type: 'RequestRefund', preOrderId: p.id, reason: 'not covered by production' }, at);
      continue;
    }
    const handedOver =
      p.method === 'ship'
        ? run({ type: 'DispatchShipment', preOrderId: p.id, carrier: 'royal-mail', trackingNumber: `T-${p.id}` }, at) &&
          rnd() < 0.9 &&
          run({ type: 'ConfirmDelivery', preOrderId: p.id }, at + DAY_MS)
        : run({ type: 'MarkReadyForPickup', preOrderId: p.id }, at) &&
          rnd() < 0.9 &&
          run({ type: 'ConfirmPickup', preOrderId: p.id }, at + DAY_MS);
    if (!handedOver || rnd() >= 0.25) continue;
    const returnId = returnIdFor(dropId, p.id, 1);
    const r = at + 2 * DAY_MS;
    if (
      !run(
        {
          type: 'RequestReturn',
          returnId,
          preOrderId: p.id,
          reason: pick(RETURN_REASONS),
          actor: { subject: p.customerId, roles: ['customer'] },
        },
        r,
      )
    )
      continue;
    run({ type: 'ReceiveReturn', returnId, condition: rnd() < 0.6 ? 'restockable' : 'not-restockable' }, r + DAY_MS);
    const total = totalOf(state, p.id);
    if (rnd() < 0.8 && total > 0)
      run({ type: 'RecordReturnRefunded', returnId, amount: total, providerRef: `ref-${returnId}` }, r + 2 * DAY_MS);
  }
  return out;
}

function isCovered(state: DropState, preOrderId: string): boolean {
  return 'preOrders' in state && state.preOrders.get(preOrderId)?.coveredByRunId !== undefined;
}

function totalOf(state: DropState, preOrderId: string): number {
  return 'preOrders' in state ? (state.preOrders.get(preOrderId)?.total ?? 0) : 0;
}
