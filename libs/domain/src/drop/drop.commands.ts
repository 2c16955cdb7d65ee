import type { DropDefinition } from './drop.definition';
import type { PreOrderPlaced } from './drop.events';

/**
 * Every command names its drop (the stream to load) and carries `now`, the ISO-8601 instant
 * the caller decided at: the domain never reads a clock.
 */
interface DropCommandBase {
  dropId: string;
  now: string;
  /** Who asks. Required where the answer depends on who asks (a customer acts only on their own pre-orders). */
  actor?: Actor;
}

/**
 * The caller a command acts for: the token's subject and roles, or `system:<component>` with
 * no roles. Rules that depend on the aggregate's state and the caller (who owns this
 * pre-order) are decided by the decider against it, never by a guard reading a stale state.
 */
export interface Actor {
  subject: string;
  roles: readonly string[];
}

/** Roles that may act on any customer's pre-order. */
export const STAFF_ACTING_FOR_CUSTOMERS: readonly string[] = ['ops'];

/** How a pre-order reaches the customer. */
export type FulfillmentChoice = { method: 'ship' } | { method: 'pickup'; locationId: string };

/** Reasons a customer may give for a return. */
export const RETURN_REASONS = ['too-small', 'too-large', 'defect', 'not-as-described', 'other'] as const;
/** One of RETURN_REASONS. */
export type ReturnReason = (typeof RETURN_REASONS)[number];

/** Condition of returned goods on receipt. */
export const RETURN_CONDITIONS = ['restockable', 'not-restockable'] as const;
/** One of RETURN_CONDITIONS. */
export type ReturnCondition = (typeof RETURN_CONDITIONS)[number];

/** Creates the drop. */
export interface ScheduleDrop extends DropCommandBase {
  type: 'ScheduleDrop';
  definition: DropDefinition;
}
/** Replaces the definition; only while `scheduled`. */
export interface ReviseDrop extends DropCommandBase {
  type: 'ReviseDrop';
  definition: DropDefinition;
}
/** Ops makes a scheduled drop public (listed on the storefront) before it opens. */
export interface AnnounceDrop extends DropCommandBase {
  type: 'AnnounceDrop';
}
/**
 * Opens the access phase `phase` (and any earlier one not open yet): the scheduler at its opensAt,
 * or ops by hand (`manual`, any time before the public window).
 */
export interface OpenAccessPhase extends DropCommandBase {
  type: 'OpenAccessPhase';
  phase: string;
  manual?: boolean;
}
/** At most this many customer ids per AddDropMembers / RemoveDropMembers. */
export const MAX_MEMBERS_PER_COMMAND = 1000;
/** At most this many members per drop. */
export const MAX_MEMBERS_PER_DROP = 100_000;
/** Ops grants customers access to the drop's `members` phases. */
export interface AddDropMembers extends DropCommandBase {
  type: 'AddDropMembers';
  customerIds: string[];
  actor: Actor;
}
/** Ops withdraws customers' members access (pre-orders they placed stay). */
export interface RemoveDropMembers extends DropCommandBase {
  type: 'RemoveDropMembers';
  customerIds: string[];
  actor: Actor;
}
/** Ops or scheduler at window.opensAt. */
export interface OpenPreOrderWindow extends DropCommandBase {
  type: 'OpenPreOrderWindow';
}
/** Ops or scheduler at window.closesAt; also decides the tipping point. */
export interface ClosePreOrderWindow extends DropCommandBase {
  type: 'ClosePreOrderWindow';
}
/** Ops, before production starts. */
export interface CancelDrop extends DropCommandBase {
  type: 'CancelDrop';
  reason: string;
}
/** After cancellation: asks for refunds of up to `maxCount` pre-orders (the engine loops until []). */
export interface RequestRefunds extends DropCommandBase {
  type: 'RequestRefunds';
  maxCount: number;
}
/** A customer's pre-order. `preOrderId` comes from preOrderIdFor(dropId, customerId, idempotencyKey). */
export interface PlacePreOrder
  extends
    DropCommandBase,
    Pick<
      PreOrderPlaced['data'],
      'preOrderId' | 'customerId' | 'sku' | 'quantity' | 'channel' | 'fulfillment' | 'referralCode' | 'idempotencyFingerprint'
    > {
  type: 'PlacePreOrder';
  isRepeatCustomer: boolean;
  /** The verified token's `city` claim, when it has one (city phases). */
  buyerCity?: string;
}
/** Customer cancels before the window closes. */
export interface CancelPreOrder extends DropCommandBase {
  type: 'CancelPreOrder';
  preOrderId: string;
  /** The pre-order's customer, or ops. */
  actor: Actor;
}

interface PaymentFact extends DropCommandBase {
  preOrderId: string;
  amount: number;
  /** ISO 4217 code the provider reports; when given it must be the drop's currency. */
  currency?: string;
  /** The provider's id of this fact; the same providerRef twice is a duplicate delivery. */
  providerRef: string;
}
/** Payment provider authorized the amount. */
export interface RecordPaymentAuthorized extends PaymentFact {
  type: 'RecordPaymentAuthorized';
}
/** Payment provider captured the amount. */
export interface RecordPaymentCaptured extends PaymentFact {
  type: 'RecordPaymentCaptured';
}
/** Payment provider reported a failure. */
export interface RecordPaymentFailed extends PaymentFact {
  type: 'RecordPaymentFailed';
}
/** Payment provider refunded the amount. */
export interface RecordPaymentRefunded extends PaymentFact {
  type: 'RecordPaymentRefunded';
}
/** Ops asks for one pre-order to be refunded (e.g. left uncovered by a production shortfall). */
export interface RequestRefund extends DropCommandBase {
  type: 'RequestRefund';
  preOrderId: string;
  reason: string;
}
/** Ops asks for an extra production run once the drop has tipped. */
export interface RequestProductionRun extends DropCommandBase {
  type: 'RequestProductionRun';
  runId: string;
  unitsBySku: Record<string, number>;
}
/** The microfactory started a run. */
export interface StartProductionRun extends DropCommandBase {
  type: 'StartProductionRun';
  runId: string;
}
/** The microfactory finished a run; good units = produced − rejected. */
export interface CompleteProductionRun extends DropCommandBase {
  type: 'CompleteProductionRun';
  runId: string;
  producedBySku: Record<string, number>;
  rejectedBySku: Record<string, number>;
}
/** A covered ship pre-order left the microfactory. */
export interface DispatchShipment extends DropCommandBase {
  type: 'DispatchShipment';
  preOrderId: string;
  carrier: string;
  trackingNumber: string;
}
/** The carrier delivered. */
export interface ConfirmDelivery extends DropCommandBase {
  type: 'ConfirmDelivery';
  preOrderId: string;
}
/** A covered pickup pre-order waits at its location. */
export interface MarkReadyForPickup extends DropCommandBase {
  type: 'MarkReadyForPickup';
  preOrderId: string;
}
/** The customer collected it. */
export interface ConfirmPickup extends DropCommandBase {
  type: 'ConfirmPickup';
  preOrderId: string;
}
/** Customer asks to return a delivered or picked-up pre-order. `returnId` from returnIdFor. */
export interface RequestReturn extends DropCommandBase {
  type: 'RequestReturn';
  returnId: string;
  preOrderId: string;
  reason: ReturnReason;
  /** The pre-order's customer, or ops. */
  actor: Actor;
}
/** The goods came back. */
export interface ReceiveReturn extends DropCommandBase {
  type: 'ReceiveReturn';
  returnId: string;
  condition: ReturnCondition;
}
/** Payment provider refunded a return. */
export interface RecordReturnRefunded extends DropCommandBase {
  type: 'RecordReturnRefunded';
  returnId: string;
  amount: number;
  providerRef: string;
}
/** Closes the books once everything is handed over or refunded and return windows passed. */
export interface CompleteDrop extends DropCommandBase {
  type: 'CompleteDrop';
}

/** Every command the Drop decider accepts. */
export type DropCommand =
  | ScheduleDrop
  | ReviseDrop
  | AnnounceDrop
  | OpenAccessPhase
  | AddDropMembers
  | RemoveDropMembers
  | OpenPreOrderWindow
  | ClosePreOrderWindow
  | CancelDrop
  | RequestRefunds
  | PlacePreOrder
  | CancelPreOrder
  | RecordPaymentAuthorized
  | RecordPaymentCaptured
  | RecordPaymentFailed
  | RecordPaymentRefunded
  | RequestRefund
  | RequestProductionRun
  | StartProductionRun
  | CompleteProductionRun
  | DispatchShipment
  | ConfirmDelivery
  | MarkReadyForPickup
  | ConfirmPickup
  | RequestReturn
  | ReceiveReturn
  | RecordReturnRefunded
  | CompleteDrop;

/** The `type` strings of DropCommand. */
export type DropCommandType = DropCommand['type'];
