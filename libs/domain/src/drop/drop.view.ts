import type { DropDefinition, PhaseAudience, SellOutBehaviour } from './drop.definition';
import { tierIndexFor } from './drop.pricing';
import { availableInPhase, DropState, DropStatus } from './drop.state';

/** One SKU's counters as GET /drops/:id shows them. */
export interface SkuView {
  sku: string;
  size: string;
  colour: string;
  cap: number;
  /** Units accepted ever. */
  accepted: number;
  /** Units currently pre-ordered. */
  net: number;
  available: number;
  soldOut: boolean;
  /** Units later access phases reserve (0 once the public window is open). */
  reservedForLaterPhases: number;
  /** Units the open phase may still sell (its allocation, never later phases' reservations); 0 before anything opens. */
  availableInPhase: number;
}

/** One access phase as the views show it. */
export interface PhaseView {
  name: string;
  audience: PhaseAudience;
  opensAt: string;
  /** `past` also for a phase the drop ended before (closed or cancelled); it has no openedAt. */
  status: 'upcoming' | 'open' | 'past';
  /** When it opened (a skipped phase opens with the next); absent while upcoming or if it never opened. */
  openedAt?: string;
  allocation?: Record<string, number>;
}

/** Who may buy when: the drop's access phases (the public window last) and the open one. */
export interface AccessView {
  /** The phase open now; absent before the first opens and after the window closes. */
  openPhase?: string;
  phases: PhaseView[];
  /** Customers granted members access. */
  members: number;
}

/** JSON-friendly view of a drop for GET /drops/:id. */
export interface DropView {
  dropId: string;
  status: Exclude<DropStatus, 'initial'>;
  definition: DropDefinition;
  scheduledAt: string;
  /** Present once ops announced the drop (POST /drops/:id/announce). */
  announcedAt?: string;
  window: {
    opensAt: string;
    closesAt: string;
    earlyAccessOpensAt?: string;
    earlyAccessOpenedAt?: string;
    openedAt?: string;
    closedAt?: string;
  };
  skus: SkuView[];
  /** Units accepted ever across the drop (drives the price ladder). */
  unitsSold: number;
  /** Units currently pre-ordered across the drop. */
  netUnits: number;
  available: number;
  soldOut: boolean;
  /** What the drop does at sell-out (definition.onSellOut, default stay-open). */
  onSellOut: SellOutBehaviour;
  access: AccessView;
  /** The tier the next pre-order would be priced at. */
  tier: { index: number; unitPrice: number; untilUnitsSold?: number; unitsLeftInTier?: number };
  moq: { minimum: number; netUnits: number; remaining: number; reached: boolean; tippedAt?: string };
  /** Active (not cancelled) pre-orders. */
  preOrderCount: number;
  cancelledPreOrderCount: number;
  productionRuns: Array<{
    runId: string;
    status: 'requested' | 'started' | 'completed';
    unitsBySku: Record<string, number>;
    coveredPreOrders?: number;
  }>;
  cancellation?: { reason: string; cancelledAt: string };
  completedAt?: string;
}

/** The drop as GET /drops/:id shows it; undefined before DropScheduled (404). O(SKUs + runs). */
export function toDropView(state: DropState): DropView | undefined {
  if (state.status === 'initial') return undefined;
  const definition = state.definition;
  const skus: SkuView[] = definition.variants.map((variant) => {
    const tally = state.skus.get(variant.sku);
    const accepted = tally?.accepted ?? 0;
    const net = tally?.net ?? 0;
    const available = variant.editionCap - net;
    return {
      sku: variant.sku,
      size: variant.size,
      colour: variant.colour,
      cap: variant.editionCap,
      accepted,
      net,
      available,
      soldOut: available <= 0,
      reservedForLaterPhases: tally?.reservedLater ?? 0,
      availableInPhase: tally && (state.status === 'open' || state.status === 'early-access') ? Math.max(0, availableInPhase(tally)) : 0,
    };
  });
  const selling = state.status === 'open' || state.status === 'early-access';
  // Once the window closed (or the drop was cancelled) nothing is to come: a phase that never opened
  // is past too, without openedAt, rather than announced as upcoming forever.
  const ahead = selling || state.status === 'scheduled';
  const phases: PhaseView[] = state.phases.map((phase, i) =>
    stripUndefined({
      name: phase.name,
      audience: phase.audience,
      opensAt: phase.opensAt,
      status: i > state.phaseIndex && ahead ? 'upcoming' : i === state.phaseIndex && selling ? 'open' : 'past',
      openedAt: state.phaseOpenedAt[i],
      allocation: phase.allocation ? { ...phase.allocation } : undefined,
    }),
  );
  const available = skus.reduce((sum, s) => sum + s.available, 0);
  const tierIndex = tierIndexFor(definition.priceTiers, state.unitsSold);
  const tier = definition.priceTiers[tierIndex];
  const minimum = definition.minimumOrderQuantity;
  return {
    dropId: state.dropId,
    status: state.status,
    definition,
    scheduledAt: state.scheduledAt,
    ...(state.announcedAt !== undefined ? { announcedAt: state.announcedAt } : {}),
    window: stripUndefined({
      opensAt: definition.window.opensAt,
      closesAt: definition.window.closesAt,
      earlyAccessOpensAt: definition.earlyAccess?.opensAt,
      earlyAccessOpenedAt: state.earlyAccessOpenedAt,
      openedAt: state.openedAt,
      closedAt: state.closedAt,
    }),
    skus,
    unitsSold: state.unitsSold,
    netUnits: state.netUnits,
    available,
    soldOut: available <= 0,
    onSellOut: definition.onSellOut ?? 'stay-open',
    access: stripUndefined({
      openPhase: selling ? state.phases[state.phaseIndex]?.name : undefined,
      phases,
      members: state.members.size,
    }),
    tier: stripUndefined({
      index: tierIndex,
      unitPrice: tier.unitPrice,
      untilUnitsSold: tier.untilUnitsSold,
      unitsLeftInTier: tier.untilUnitsSold === undefined ? undefined : tier.untilUnitsSold - state.unitsSold,
    }),
    moq: stripUndefined({
      minimum,
      netUnits: state.netUnits,
      remaining: Math.max(0, minimum - state.netUnits),
      reached: state.netUnits >= minimum,
      tippedAt: state.tippedAt,
    }),
    preOrderCount: state.activePreOrders,
    cancelledPreOrderCount: state.acceptance.length - state.activePreOrders,
    productionRuns: [...state.runs.values()].map((run) =>
      stripUndefined({ runId: run.runId, status: run.status, unitsBySku: run.unitsBySku, coveredPreOrders: run.coveredPreOrders }),
    ),
    ...(state.status === 'cancelled' ? { cancellation: { reason: state.cancelReason, cancelledAt: state.cancelledAt } } : {}),
    ...(state.status === 'completed' ? { completedAt: state.completedAt } : {}),
  };
}

// JSON drops undefined keys anyway; stripping them keeps toEqual assertions and snapshots honest.
function stripUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}

/** What a pre-order request (or its idempotent retry) answers. */
export interface PreOrderAnswer {
  preOrderId: string;
  sku: string;
  quantity: number;
  unitPrice: number;
  total: number;
  currency: string;
}

/** The answer for `preOrderId` as first given, or undefined if no such pre-order exists. O(1). */
export function preOrderAnswer(state: DropState, preOrderId: string): PreOrderAnswer | undefined {
  if (state.status === 'initial') return undefined;
  const preOrder = state.preOrders.get(preOrderId);
  if (!preOrder) return undefined;
  return {
    preOrderId: preOrder.preOrderId,
    sku: preOrder.sku,
    quantity: preOrder.quantity,
    unitPrice: preOrder.unitPrice,
    total: preOrder.total,
    currency: state.definition.currency,
  };
}
