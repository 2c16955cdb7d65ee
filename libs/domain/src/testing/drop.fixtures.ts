// Test-only fixtures: the brief's sample drop plus a small second SKU that sells out quickly.
import type { Actor, DropCommand, FulfillmentChoice, PlacePreOrder } from '../drop/drop.commands';
import type { AccessPhase, DropDefinition } from '../drop/drop.definition';
import type { DropEvent, PreOrderPlaced } from '../drop/drop.events';

export const DROP_ID = 'harbour-hoodie-1';
export const M = 'HH-M-NAVY';
export const L = 'HH-L-NAVY';
export const T_SCHEDULED = '2026-11-01T09:00:00Z';
export const T_EARLY = '2026-11-30T10:00:00Z';
export const T_OPEN = '2026-12-01T10:00:00Z';
export const T_DURING = '2026-12-02T12:00:00Z';
export const T_CLOSE = '2026-12-08T10:00:00Z';
export const T_AFTER = '2026-12-09T10:00:00Z';

export function aDefinition(overrides: Partial<DropDefinition> = {}): DropDefinition {
  return {
    name: 'Harbour Hoodie, run 1',
    city: 'Bristol',
    currency: 'GBP',
    channels: ['web', 'popup'],
    variants: [
      { sku: M, size: 'M', colour: 'navy', editionCap: 50 },
      { sku: L, size: 'L', colour: 'navy', editionCap: 5 },
    ],
    priceTiers: [{ untilUnitsSold: 10, unitPrice: 2500 }, { untilUnitsSold: 40, unitPrice: 3000 }, { unitPrice: 3500 }],
    basketTiers: [{ minQuantity: 3, percentOff: 10 }],
    window: { opensAt: T_OPEN, closesAt: T_CLOSE },
    earlyAccess: { opensAt: T_EARLY, audience: 'repeat-customers' },
    perCustomerLimit: 4,
    minimumOrderQuantity: 20,
    production: { microfactoryId: 'mf-bristol-1', leadTimeDays: 14 },
    pickupLocations: [{ locationId: 'popup-harbourside', discountPercent: 10 }],
    returnWindowDays: 14,
    ...overrides,
  };
}

export const scheduled = (definition: DropDefinition = aDefinition()): DropEvent => ({
  type: 'DropScheduled',
  data: { dropId: DROP_ID, definition, scheduledAt: T_SCHEDULED },
});
export const earlyAccessOpened = (): DropEvent => ({
  type: 'EarlyAccessOpened',
  data: { dropId: DROP_ID, audience: 'repeat-customers', openedAt: T_EARLY },
});
export const windowOpened = (): DropEvent => ({ type: 'PreOrderWindowOpened', data: { dropId: DROP_ID, openedAt: T_OPEN } });

/** A PreOrderPlaced as the decider would write it for a 1-unit web shipment at the first tier. */
export function placed(overrides: Partial<PreOrderPlaced['data']> & { sequence: number }): DropEvent {
  return {
    type: 'PreOrderPlaced',
    data: {
      dropId: DROP_ID,
      preOrderId: `${DROP_ID}.po.${overrides.sequence}`,
      customerId: `customer-${overrides.sequence}`,
      sku: M,
      quantity: 1,
      channel: 'web',
      fulfillment: { method: 'ship' },
      unitPrice: 2500,
      basketPercentOff: 0,
      pickupPercentOff: 0,
      total: 2500,
      currency: 'GBP',
      tier: 0,
      idempotencyFingerprint: `fp-${overrides.sequence}`,
      placedAt: T_DURING,
      ...overrides,
    },
  };
}

/** A PlacePreOrder with sensible defaults; `n` names the customer and the key. */
export function place(n: number, overrides: Partial<Omit<PlacePreOrder, 'type'>> = {}): PlacePreOrder {
  return {
    type: 'PlacePreOrder',
    dropId: DROP_ID,
    preOrderId: `${DROP_ID}.po.${n}`,
    customerId: `customer-${n}`,
    sku: M,
    quantity: 1,
    channel: 'web',
    fulfillment: { method: 'ship' } as FulfillmentChoice,
    isRepeatCustomer: false,
    idempotencyFingerprint: `fp-${n}`,
    now: T_DURING,
    ...overrides,
  };
}

/** A command of `type` with only dropId/now (lifecycle commands). */
export function lifecycle<T extends 'AnnounceDrop' | 'OpenPreOrderWindow' | 'ClosePreOrderWindow' | 'CompleteDrop'>(
  type: T,
  now: string,
): DropCommand {
  return { type, dropId: DROP_ID, now } as DropCommand;
}

export const scheduleCmd = (definition: DropDefinition = aDefinition()): DropCommand => ({
  type: 'ScheduleDrop',
  dropId: DROP_ID,
  definition,
  now: T_SCHEDULED,
});
export const openCmd = (now = T_OPEN): DropCommand => lifecycle('OpenPreOrderWindow', now);
export const closeCmd = (now = T_CLOSE): DropCommand => lifecycle('ClosePreOrderWindow', now);

/** The actor of customer n (who placed pre-order n in these fixtures). */
export const customerActor = (n: number): Actor => ({ subject: `customer-${n}`, roles: ['customer'] });
/** An ops user, who may act on any pre-order. */
export const OPS_ACTOR: Actor = { subject: 'ops-1', roles: ['ops'] };

// ---- access phases ----

export const T_MEMBERS = '2026-11-28T10:00:00Z';
export const T_REPEAT = '2026-11-29T10:00:00Z';
export const T_CITY = '2026-11-30T10:00:00Z';
/** Instants inside each phase (an hour after it opens). */
export const T_IN_MEMBERS = '2026-11-28T11:00:00Z';
export const T_IN_REPEAT = '2026-11-29T11:00:00Z';
export const T_IN_CITY = '2026-11-30T11:00:00Z';
/** The drop's city and a city that is not it. */
export const CITY = 'Bristol';
export const OTHER_CITY = 'Bath';
export const PICKUP = { method: 'pickup', locationId: 'popup-harbourside' } as const;

/**
 * The three phases of the phased sample: members (M 10, L 2), repeat customers (M 10, no L),
 * locals of the drop's city (M 5, L 1), then the implicit public window. M reserves 25 of 50, L 3 of 5.
 */
export const SAMPLE_PHASES: AccessPhase[] = [
  { name: 'members', opensAt: T_MEMBERS, audience: 'members', allocation: { [M]: 10, [L]: 2 } },
  { name: 'repeat', opensAt: T_REPEAT, audience: 'repeat-customers', allocation: { [M]: 10 } },
  { name: 'locals', opensAt: T_CITY, audience: 'city', allocation: { [M]: 5, [L]: 1 } },
];

/** The sample drop with SAMPLE_PHASES instead of the earlyAccess shorthand. */
export function aPhasedDefinition(overrides: Partial<DropDefinition> = {}): DropDefinition {
  const { earlyAccess: _shorthand, ...definition } = aDefinition();
  return { ...definition, phases: SAMPLE_PHASES, ...overrides };
}

/** OpenAccessPhase as the scheduler sends it, or ops by hand with `manual`. */
export const openPhaseCmd = (phase: string, now: string, manual?: boolean): DropCommand => ({
  type: 'OpenAccessPhase',
  dropId: DROP_ID,
  now,
  phase,
  ...(manual === undefined ? {} : { manual }),
});
export const addMembersCmd = (customerIds: string[], now = T_SCHEDULED, actor: Actor = OPS_ACTOR): DropCommand => ({
  type: 'AddDropMembers',
  dropId: DROP_ID,
  now,
  customerIds,
  actor,
});
export const removeMembersCmd = (customerIds: string[], now = T_SCHEDULED, actor: Actor = OPS_ACTOR): DropCommand => ({
  type: 'RemoveDropMembers',
  dropId: DROP_ID,
  now,
  customerIds,
  actor,
});

/** The AccessPhaseOpened the decider writes for one SAMPLE_PHASES phase. */
export function phaseOpened(
  phase: 'members' | 'repeat' | 'locals',
  data: { openedAt: string; trigger?: 'schedule' | 'ops'; rolledOver?: Record<string, number> },
): DropEvent {
  const plan = SAMPLE_PHASES.find((p) => p.name === phase) as AccessPhase;
  return {
    type: 'AccessPhaseOpened',
    data: {
      dropId: DROP_ID,
      phase,
      audience: plan.audience as Exclude<AccessPhase['audience'], 'everyone'>,
      opensAt: plan.opensAt,
      trigger: data.trigger ?? 'schedule',
      rolledOver: data.rolledOver ?? {},
      openedAt: data.openedAt,
    },
  };
}
