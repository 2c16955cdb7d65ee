import type { ReturnCondition, ReturnReason } from './drop.commands';
import type { DropDefinition, PhasePlan } from './drop.definition';
import type { PreOrderPlaced } from './drop.events';

/** Lifecycle of a drop; `tipped` = window closed with the MOQ met, production not started yet. */
export type DropStatus =
  'initial' | 'scheduled' | 'early-access' | 'open' | 'closed' | 'tipped' | 'in-production' | 'fulfilling' | 'completed' | 'cancelled';

/** Per-SKU counters kept incrementally so PlacePreOrder never scans pre-orders. */
export interface SkuTally {
  sku: string;
  cap: number;
  /** Units accepted ever (cancellations do not decrease it). */
  accepted: number;
  /** Units currently pre-ordered (accepted − cancelled). */
  net: number;
  /** Units the phases after the open one reserve (their allocations): no one can buy them yet. */
  reservedLater: number;
  /** What the open phase may still sell of this SKU when it allocates it; undefined = the unreserved rest. */
  allocationLeft: number | undefined;
}

/** Units of `tally` the open phase may sell: never more than the cap minus sold units and later reservations. O(1). */
export function availableInPhase(tally: SkuTally): number {
  const unreserved = tally.cap - tally.net - tally.reservedLater;
  return tally.allocationLeft === undefined ? unreserved : Math.min(tally.allocationLeft, unreserved);
}

/** Provider facts recorded for one pre-order. */
export interface PaymentTally {
  authorized: number;
  captured: number;
  failed: number;
  refunded: number;
  /** `<kind>:<providerRef>` of every recorded fact, to drop duplicates. */
  facts: Set<string>;
}

/** Where a pre-order's goods are. */
export type HandOverStatus = 'awaiting' | 'dispatched' | 'delivered' | 'ready-for-pickup' | 'picked-up';

/** The PreOrderPlaced fields a pre-order keeps (the drop id and currency are the drop's). */
export type PlacedPreOrderFields = Omit<PreOrderPlaced['data'], 'dropId' | 'currency'>;

/** One pre-order as the decider needs it (active or cancelled: ids stay for idempotency). */
export interface PreOrderRecord extends PlacedPreOrderFields {
  status: 'active' | 'cancelled';
  /** Index into DropCore.phases of the phase it was placed in. */
  phaseIndex: number;
  cancelledAt?: string;
  refundRequested: boolean;
  /** Created on the first payment fact. */
  payment?: PaymentTally;
  coveredByRunId?: string;
  handOver: HandOverStatus;
  trackingNumber?: string;
  /** Delivery or pickup instant (epoch ms); the return window counts from it. */
  handedOverAtMs?: number;
  returnId?: string;
}

/** A production run and where it is. */
export interface ProductionRunRecord {
  runId: string;
  unitsBySku: Record<string, number>;
  status: 'requested' | 'started' | 'completed';
  requestedAt: string;
  startedAt?: string;
  completedAt?: string;
  coveredPreOrders?: number;
  /** What the completion reported (a retry must report the same). */
  producedBySku?: Record<string, number>;
  rejectedBySku?: Record<string, number>;
}

/** A return and where it is; `refunded` closes it. */
export interface ReturnRecord {
  returnId: string;
  preOrderId: string;
  reason: ReturnReason;
  status: 'requested' | 'received' | 'refunded';
  requestedAt: string;
  condition?: ReturnCondition;
  providerRef?: string;
  /** What the provider refunded through the return (minor units), once `refunded`. */
  refundedAmount?: number;
}

/**
 * Everything a created drop knows. The Maps, arrays and records inside are MUTATED by
 * evolve (see dropDecider): a state object is linear, never reuse one after evolving it.
 */
export interface DropCore {
  dropId: string;
  definition: DropDefinition;
  scheduledAt: string;
  /** Parsed once per definition, not per command. */
  opensAtMs: number;
  closesAtMs: number;
  /** The access phases, the public window last (accessPhasesOf the definition). */
  phases: PhasePlan[];
  /** Index into `phases` of the phase open now; -1 before the first one opens. */
  phaseIndex: number;
  /** When each phase opened, by index (skipped ones open with the next). */
  phaseOpenedAt: string[];
  /** Customer ids ops granted `members` access (DropMembersAdded/Removed). */
  members: Set<string>;
  skus: Map<string, SkuTally>;
  pickupDiscounts: Map<string, number>;
  /** Every pre-order ever placed, by id (cancelled ones too: their ids stay taken). */
  preOrders: Map<string, PreOrderRecord>;
  /** The same records in acceptance order (index = sequence − 1). */
  acceptance: PreOrderRecord[];
  /** Net units per customer. */
  customers: Map<string, number>;
  /** Units accepted ever across the drop; drives the price ladder. */
  unitsSold: number;
  /** Units currently pre-ordered across the drop; decides the tipping point. */
  netUnits: number;
  lastSequence: number;
  activePreOrders: number;
  soldOutSkus: number;
  /** Active pre-orders without a refund request. */
  pendingRefunds: number;
  /** Every acceptance index below it is cancelled or refund-requested, so RequestRefunds resumes here. */
  refundCursor: number;
  runs: Map<string, ProductionRunRecord>;
  returns: Map<string, ReturnRecord>;
  openReturns: number;
  lastHandOverAtMs?: number;
  /** When ops announced the drop (DropAnnounced); only ever set while it was scheduled. */
  announcedAt?: string;
  earlyAccessOpenedAt?: string;
  openedAt?: string;
  closedAt?: string;
  tippedAt?: string;
}

/** No DropScheduled yet. */
export interface InitialDrop {
  status: 'initial';
}
/** Created, not open. */
export interface ScheduledDrop extends DropCore {
  status: 'scheduled';
}
/** An access phase before the public window is open (phases[phaseIndex]); only its audiences may buy. */
export interface EarlyAccessDrop extends DropCore {
  status: 'early-access';
}
/** Everyone may pre-order. */
export interface OpenDrop extends DropCore {
  status: 'open';
}
/** Window closed, tipping point not decided yet (only between the two events of one decision). */
export interface ClosedDrop extends DropCore {
  status: 'closed';
  closedAt: string;
}
/** Tipping point reached, waiting for production. */
export interface TippedDrop extends DropCore {
  status: 'tipped';
  closedAt: string;
  tippedAt: string;
}
/** A production run started. */
export interface InProductionDrop extends DropCore {
  status: 'in-production';
  closedAt: string;
  tippedAt: string;
}
/** At least one run completed; goods are going out. */
export interface FulfillingDrop extends DropCore {
  status: 'fulfilling';
  closedAt: string;
  tippedAt: string;
}
/** Books closed. */
export interface CompletedDrop extends DropCore {
  status: 'completed';
  completedAt: string;
}
/** Will not happen; refunds follow. */
export interface CancelledDrop extends DropCore {
  status: 'cancelled';
  cancelledAt: string;
  cancelReason: string;
}

/** The Drop aggregate's state, tagged by `status`. */
export type DropState =
  | InitialDrop
  | ScheduledDrop
  | EarlyAccessDrop
  | OpenDrop
  | ClosedDrop
  | TippedDrop
  | InProductionDrop
  | FulfillingDrop
  | CompletedDrop
  | CancelledDrop;

/** Any state after DropScheduled. */
export type ExistingDrop = Exclude<DropState, InitialDrop>;

/** Compile-time exhaustiveness: a `switch` that reaches this forgot a case. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}

/** Milliseconds in a day; return windows are whole days of 24 h. */
export const DAY_MS = 86_400_000;

/** True when the pre-order counts as refunded: refund requested and everything captured came back. */
export function isRefunded(preOrder: PreOrderRecord): boolean {
  if (!preOrder.refundRequested) return false;
  const payment = preOrder.payment;
  return !payment || payment.refunded >= payment.captured;
}

/**
 * Why the drop cannot complete at `nowMs`, or undefined when CompleteDrop would succeed.
 * O(pre-orders): only CompleteDrop and the scheduler call it, never the hot path.
 */
export function completionBlocker(state: ExistingDrop, nowMs: number): string | undefined {
  if (state.status !== 'fulfilling') return `drop is ${state.status}`;
  for (const preOrder of state.acceptance) {
    if (preOrder.status !== 'active') continue;
    if (preOrder.handOver === 'delivered' || preOrder.handOver === 'picked-up' || isRefunded(preOrder)) continue;
    return `pre-order ${preOrder.preOrderId} is neither handed over nor refunded`;
  }
  if (state.openReturns > 0) return `${state.openReturns} return(s) still open`;
  if (state.lastHandOverAtMs !== undefined) {
    const lastWindowEndsMs = state.lastHandOverAtMs + state.definition.returnWindowDays * DAY_MS;
    if (nowMs < lastWindowEndsMs) return `the last return window ends at ${new Date(lastWindowEndsMs).toISOString()}`;
  }
  return undefined;
}
