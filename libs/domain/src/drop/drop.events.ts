import type { DomainEvent } from '../decider';
import type { FulfillmentChoice, ReturnCondition, ReturnReason } from './drop.commands';
import type { DropDefinition, EarlyAccessAudience, PhaseAudience, SalesChannel } from './drop.definition';

// Events are a public contract: the type strings below are stored and must never be renamed.
// Every payload carries dropId and an `...At` instant taken from the command's `now`.

/** The drop was created. */
export type DropScheduled = DomainEvent<'DropScheduled', { dropId: string; definition: DropDefinition; scheduledAt: string }>;
/** The definition was replaced before the drop opened. */
export type DropRevised = DomainEvent<'DropRevised', { dropId: string; definition: DropDefinition; revisedAt: string }>;
/**
 * Ops made a scheduled drop public before its early access or window opens: from now on the
 * storefront lists it and shows its page to anonymous callers (docs/security.md).
 */
export type DropAnnounced = DomainEvent<'DropAnnounced', { dropId: string; announcedAt: string }>;
/**
 * Early access started for its audience. No longer written: stored ones are read as the opening of
 * the `earlyAccess` shorthand's phase (AccessPhaseOpened of `early-access`), nothing is rewritten.
 */
export type EarlyAccessOpened = DomainEvent<'EarlyAccessOpened', { dropId: string; audience: EarlyAccessAudience; openedAt: string }>;
/**
 * An access phase before the public window opened: from now its audience (and every earlier
 * phase's) may buy. `trigger` says whether the scheduler opened it at its time or ops by hand;
 * `rolledOver` = units per SKU the previous phase left of its allocation, added to this phase's.
 */
export type AccessPhaseOpened = DomainEvent<
  'AccessPhaseOpened',
  {
    dropId: string;
    phase: string;
    audience: Exclude<PhaseAudience, 'everyone'>;
    opensAt: string;
    trigger: 'schedule' | 'ops';
    rolledOver: Record<string, number>;
    openedAt: string;
  }
>;
/** Ops granted customers access to the drop's `members` phases; `addedBy` = who granted it. */
export type DropMembersAdded = DomainEvent<'DropMembersAdded', { dropId: string; customerIds: string[]; addedBy: string; addedAt: string }>;
/** Ops withdrew customers' members access; their pre-orders stay. */
export type DropMembersRemoved = DomainEvent<
  'DropMembersRemoved',
  { dropId: string; customerIds: string[]; removedBy: string; removedAt: string }
>;
/** Everyone can pre-order. */
export type PreOrderWindowOpened = DomainEvent<'PreOrderWindowOpened', { dropId: string; openedAt: string }>;
/** No more pre-orders; totals as of closing. */
export type PreOrderWindowClosed = DomainEvent<
  'PreOrderWindowClosed',
  { dropId: string; unitsSold: number; netUnits: number; activePreOrders: number; closedAt: string }
>;
/** Net units reached the minimum order quantity: the drop will be produced. */
export type TippingPointReached = DomainEvent<
  'TippingPointReached',
  { dropId: string; netUnits: number; minimumOrderQuantity: number; reachedAt: string }
>;
/** The drop will not happen; active pre-orders get refunds (see RequestRefunds). */
export type DropCancelled = DomainEvent<'DropCancelled', { dropId: string; reason: string; cancelledAt: string }>;
/** Money should go back for one pre-order (the engine moves no money; a payment adapter reacts). */
export type RefundRequested = DomainEvent<
  'RefundRequested',
  { dropId: string; preOrderId: string; customerId: string; amount: number; currency: string; reason: string; requestedAt: string }
>;
/** A pre-order was accepted, priced and numbered (`sequence` = acceptance order, 1-based). */
export type PreOrderPlaced = DomainEvent<
  'PreOrderPlaced',
  {
    dropId: string;
    preOrderId: string;
    customerId: string;
    sku: string;
    quantity: number;
    channel: SalesChannel;
    fulfillment: FulfillmentChoice;
    referralCode?: string;
    unitPrice: number;
    basketPercentOff: number;
    pickupPercentOff: number;
    total: number;
    currency: string;
    /** Index into definition.priceTiers. */
    tier: number;
    sequence: number;
    /** Kept so a replayed state can still tell a retry from a reused idempotency key. */
    idempotencyFingerprint: string;
    placedAt: string;
  }
>;
/** The SKU has 0 units left (may happen again after a cancellation freed units). */
export type VariantSoldOut = DomainEvent<'VariantSoldOut', { dropId: string; sku: string; soldOutAt: string }>;
/**
 * Every SKU has 0 units left. With `onSellOut: stay-open` the window stays open (cancellations free
 * units); with `close` the same decision also closes the window and decides the tipping point.
 */
export type DropSoldOut = DomainEvent<'DropSoldOut', { dropId: string; soldOutAt: string }>;
/** The customer cancelled; the units are available again. */
export type PreOrderCancelled = DomainEvent<
  'PreOrderCancelled',
  { dropId: string; preOrderId: string; customerId: string; sku: string; quantity: number; cancelledAt: string }
>;

// A type alias, not an interface: payloads must stay assignable to Record<string, unknown>.
type PaymentFactData = {
  dropId: string;
  preOrderId: string;
  amount: number;
  currency: string;
  providerRef: string;
};
/** Recorded provider fact. */
export type PaymentAuthorized = DomainEvent<'PaymentAuthorized', PaymentFactData & { authorizedAt: string }>;
/** Recorded provider fact. */
export type PaymentCaptured = DomainEvent<'PaymentCaptured', PaymentFactData & { capturedAt: string }>;
/** Recorded provider fact. */
export type PaymentFailed = DomainEvent<'PaymentFailed', PaymentFactData & { failedAt: string }>;
/** Recorded provider fact. */
export type PaymentRefunded = DomainEvent<'PaymentRefunded', PaymentFactData & { refundedAt: string }>;

/** A run was asked of the microfactory (run 1 by the tipping point, later ones by ops). */
export type ProductionRunRequested = DomainEvent<
  'ProductionRunRequested',
  { dropId: string; runId: string; microfactoryId: string; unitsBySku: Record<string, number>; requestedAt: string }
>;
/** The microfactory started the run. */
export type ProductionRunStarted = DomainEvent<'ProductionRunStarted', { dropId: string; runId: string; startedAt: string }>;
/**
 * The run finished. Good units were allocated to the pre-orders waiting for goods by the rule of
 * `allocateRun` (drop.allocation.ts): per SKU, in acceptance order, until the first one that does
 * not fit. Schema v2 names no pre-order: which ones the run covered follows from `goodBySku` and
 * the events before it, so the event stays the same size however large the drop (v1 listed every
 * covered and uncovered id and passed 1 MiB at about 16 000 pre-orders; it is upcast on read).
 */
export type ProductionRunCompleted = DomainEvent<
  'ProductionRunCompleted',
  {
    dropId: string;
    runId: string;
    producedBySku: Record<string, number>;
    rejectedBySku: Record<string, number>;
    goodBySku: Record<string, number>;
    /** Good units not allocated to any pre-order. */
    surplusBySku: Record<string, number>;
    /** How many pre-orders this run covered (a reader that derives them checks its count against it). */
    coveredPreOrderCount: number;
    /** How many pre-orders still wait for goods after this run. */
    uncoveredPreOrderCount: number;
    completedAt: string;
  }
>;
/** ProductionRunCompleted as schema v1 stored it: the same facts plus every covered and uncovered id. */
export type ProductionRunCompletedV1Data = Omit<ProductionRunCompleted['data'], 'coveredPreOrderCount' | 'uncoveredPreOrderCount'> & {
  coveredPreOrderIds: string[];
  /** Every active pre-order still waiting for goods after this run. */
  uncoveredPreOrderIds: string[];
};
/** A covered ship pre-order is on its way. */
export type ShipmentDispatched = DomainEvent<
  'ShipmentDispatched',
  { dropId: string; preOrderId: string; carrier: string; trackingNumber: string; dispatchedAt: string }
>;
/** The shipment arrived; the return window starts. */
export type ShipmentDelivered = DomainEvent<'ShipmentDelivered', { dropId: string; preOrderId: string; deliveredAt: string }>;
/** A covered pickup pre-order waits at its location. */
export type ReadyForPickup = DomainEvent<'ReadyForPickup', { dropId: string; preOrderId: string; locationId: string; readyAt: string }>;
/** The customer collected it; the return window starts. */
export type PreOrderPickedUp = DomainEvent<
  'PreOrderPickedUp',
  { dropId: string; preOrderId: string; locationId: string; pickedUpAt: string }
>;
/** The customer asked to return a pre-order. */
export type ReturnRequested = DomainEvent<
  'ReturnRequested',
  { dropId: string; returnId: string; preOrderId: string; reason: ReturnReason; requestedAt: string }
>;
/** The goods came back. */
export type ReturnReceived = DomainEvent<
  'ReturnReceived',
  { dropId: string; returnId: string; preOrderId: string; condition: ReturnCondition; receivedAt: string }
>;
/** The return was refunded by the provider; the return is closed. */
export type ReturnRefunded = DomainEvent<
  'ReturnRefunded',
  { dropId: string; returnId: string; preOrderId: string; amount: number; currency: string; providerRef: string; refundedAt: string }
>;
/** Everything is handed over or refunded and every return window has passed. */
export type DropCompleted = DomainEvent<'DropCompleted', { dropId: string; completedAt: string }>;

/** Every event of a `drop-<dropId>` stream. */
export type DropEvent =
  | DropScheduled
  | DropRevised
  | DropAnnounced
  | EarlyAccessOpened
  | AccessPhaseOpened
  | DropMembersAdded
  | DropMembersRemoved
  | PreOrderWindowOpened
  | PreOrderWindowClosed
  | TippingPointReached
  | DropCancelled
  | RefundRequested
  | PreOrderPlaced
  | VariantSoldOut
  | DropSoldOut
  | PreOrderCancelled
  | PaymentAuthorized
  | PaymentCaptured
  | PaymentFailed
  | PaymentRefunded
  | ProductionRunRequested
  | ProductionRunStarted
  | ProductionRunCompleted
  | ShipmentDispatched
  | ShipmentDelivered
  | ReadyForPickup
  | PreOrderPickedUp
  | ReturnRequested
  | ReturnReceived
  | ReturnRefunded
  | DropCompleted;

/** The `type` strings of DropEvent. */
export type DropEventType = DropEvent['type'];

/** Every DropEvent type string, in lifecycle order (for subscription filters and registries). */
export const DROP_EVENT_TYPES = [
  'DropScheduled',
  'DropRevised',
  'DropAnnounced',
  'DropMembersAdded',
  'DropMembersRemoved',
  'EarlyAccessOpened',
  'AccessPhaseOpened',
  'PreOrderWindowOpened',
  'PreOrderPlaced',
  'VariantSoldOut',
  'DropSoldOut',
  'PreOrderCancelled',
  'PreOrderWindowClosed',
  'TippingPointReached',
  'DropCancelled',
  'RefundRequested',
  'PaymentAuthorized',
  'PaymentCaptured',
  'PaymentFailed',
  'PaymentRefunded',
  'ProductionRunRequested',
  'ProductionRunStarted',
  'ProductionRunCompleted',
  'ShipmentDispatched',
  'ShipmentDelivered',
  'ReadyForPickup',
  'PreOrderPickedUp',
  'ReturnRequested',
  'ReturnReceived',
  'ReturnRefunded',
  'DropCompleted',
] as const satisfies readonly DropEventType[];

// Compile-time proof that DROP_EVENT_TYPES lists every member of the union.
type MissingFromList = Exclude<DropEventType, (typeof DROP_EVENT_TYPES)[number]>;
const listIsComplete: MissingFromList extends never ? true : MissingFromList = true;
void listIsComplete;

// ---- Side streams: written by read-side components, no decider. ----

/** A batch of storefront visits (stream `visits-<dropId>`). */
export type VisitsRecorded = DomainEvent<
  'VisitsRecorded',
  { dropId: string; visits: Array<{ visitorId: string; channel: SalesChannel; at: string }>; recordedAt: string }
>;
/** Rejected demand aggregated over an interval (stream `demand-<dropId>`). */
export type DemandTurnedAway = DomainEvent<
  'DemandTurnedAway',
  {
    dropId: string;
    sku: string;
    units: number;
    requests: number;
    reason: 'sold-out' | 'insufficient-stock';
    intervalStart: string;
    intervalEnd: string;
  }
>;
/** Available units crossed a reorder point (stream `restock-<dropId>`). */
export type RestockRecommended = DomainEvent<
  'RestockRecommended',
  { dropId: string; sku: string; crossing: number; reorderPoint: number; available: number; recommendedAt: string }
>;

/** Every event of the per-drop side streams. */
export type DropSideStreamEvent = VisitsRecorded | DemandTurnedAway | RestockRecommended;

/** The side-stream event type strings. */
export const SIDE_STREAM_EVENT_TYPES = [
  'VisitsRecorded',
  'DemandTurnedAway',
  'RestockRecommended',
] as const satisfies readonly DropSideStreamEvent['type'][];

/** Current schema version of every stored event type; bump it together with an upcaster. */
export const EVENT_SCHEMA_VERSIONS: Readonly<Record<DropEventType | DropSideStreamEvent['type'], number>> = Object.freeze({
  DropScheduled: 1,
  DropRevised: 1,
  DropAnnounced: 1,
  EarlyAccessOpened: 1,
  AccessPhaseOpened: 1,
  DropMembersAdded: 1,
  DropMembersRemoved: 1,
  PreOrderWindowOpened: 1,
  PreOrderPlaced: 1,
  VariantSoldOut: 1,
  DropSoldOut: 1,
  PreOrderCancelled: 1,
  PreOrderWindowClosed: 1,
  TippingPointReached: 1,
  DropCancelled: 1,
  RefundRequested: 1,
  PaymentAuthorized: 1,
  PaymentCaptured: 1,
  PaymentFailed: 1,
  PaymentRefunded: 1,
  ProductionRunRequested: 1,
  ProductionRunStarted: 1,
  ProductionRunCompleted: 2,
  ShipmentDispatched: 1,
  ShipmentDelivered: 1,
  ReadyForPickup: 1,
  PreOrderPickedUp: 1,
  ReturnRequested: 1,
  ReturnReceived: 1,
  ReturnRefunded: 1,
  DropCompleted: 1,
  VisitsRecorded: 1,
  DemandTurnedAway: 1,
  RestockRecommended: 1,
});
