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
  /**
   * `early-access` (default): the `earlyAccess` shorthand, opened by the scheduler a day before the
   * window. `phases`: members (an allocation of the first SKU) → repeat customers (an allocation of
   * the second) → the city → everyone, ops granting and withdrawing members and opening the city
   * phase early by hand (so the repeat phase opens with it).
   */
  access?: 'early-access' | 'phases';
  onSellOut?: 'stay-open' | 'close';
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
    ...(options.access === 'phases'
      ? {
          phases: [
            {
              name: 'members',
              opensAt: iso(opensMs - 3 * DAY_MS),
              audience: 'members',
              allocation: { [skus[0]]: Math.floor(caps[0] / 3) },
            },
            {
              name: 'repeat',
              opensAt: iso(opensMs - 2 * DAY_MS),
              audience: 'repeat-customers',
              allocation: { [skus[1]]: Math.floor(caps[1] / 2) },
            },
            { name: 'city', opensAt: iso(opensMs - DAY_MS), audience: 'city' },
          ],
        }
      : { earlyAccess: { opensAt: iso(opensMs - DAY_MS), audience: 'repeat-customers' } }),
    ...(options.onSellOut ? { onSellOut: options.onSellOut } : {}),
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

  const ops = { subject: 'ops-1', roles: ['ops'] as const };
  run({ type: 'ScheduleDrop', definition }, opensMs - 10 * DAY_MS);
  // What happens on its own at a time during the sales: phase openings, membership changes, the window.
  const milestones: Array<{ at: number; command: Command }> =
    options.access === 'phases'
      ? [
          { at: opensMs - 3 * DAY_MS, command: { type: 'OpenAccessPhase', phase: 'members' } },
          { at: opensMs - 2.8 * DAY_MS, command: { type: 'RemoveDropMembers', customerIds: ['c-3', 'c-4'], actor: ops } },
          { at: opensMs - 2.5 * DAY_MS, command: { type: 'OpenAccessPhase', phase: 'city', manual: true } },
          { at: opensMs, command: { type: 'OpenPreOrderWindow' } },
        ]
      : [
          { at: opensMs - DAY_MS, command: { type: 'OpenAccessPhase', phase: 'early-access' } },
          { at: opensMs, command: { type: 'OpenPreOrderWindow' } },
        ];
  if (options.access === 'phases') {
    const members = Array.from({ length: 12 }, (_, i) => `c-${i}`);
    run({ type: 'AddDropMembers', customerIds: members, actor: ops }, opensMs - 4 * DAY_MS);
  }
  const placed: Array<{ id: string; customerId: string; method: 'ship' | 'pickup' }> = [];
  let t = milestones[0].at;
  run(milestones.shift()!.command, t);
  const step = (closesMs - t - 60_000) / Math.max(1, options.orders);
  for (let i = 0; i < options.orders; i++) {
    t += step * (rnd() < 0.1 ? 3 * rnd() : rnd());
    while (milestones.length > 0 && t >= milestones[0].at) {
      const due = milestones.shift()!;
      run(due.command, due.at);
    }
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
        // Only phased histories draw it, so the other histories stay what they were for a seed.
        ...(options.access === 'phases' && rnd() < 0.4 ? { buyerCity: definition.city } : {}),
        idempotencyFingerprint: `fp-${i}`,
      },
      t,
    );
    if (ok) placed.push({ id: preOrderId, customerId, method });
  }
  for (const due of milestones) run(due.command, due.at);
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
