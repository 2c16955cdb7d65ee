import { RETURN_CONDITIONS, RETURN_REASONS } from './drop.commands';
import { PHASE_AUDIENCES, SALES_CHANNELS, SELL_OUT_BEHAVIOURS } from './drop.definition';
import { EVENT_SCHEMA_VERSIONS } from './drop.events';

// JSON Schemas (draft-07) of the payload of every stored event type at its latest schema
// version: the published contract (docs/asyncapi.yaml is generated from them). Plain data,
// no framework. Change a schema only together with EVENT_SCHEMA_VERSIONS and an upcaster.

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

const str = { type: 'string', minLength: 1 } as const;
const instant = { type: 'string', format: 'date-time' } as const;
const int = { type: 'integer' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const positive = { type: 'integer', minimum: 1 } as const;
const money = { type: 'integer', minimum: 0, description: 'integer minor units of the currency' } as const;
const currency = { type: 'string', pattern: '^[A-Z]{3}$' } as const;
const percent = { type: 'integer', minimum: 0, maximum: 100 } as const;
const channel = { type: 'string', enum: [...SALES_CHANNELS] } as const;
const unitsBySku = { type: 'object', additionalProperties: count } as const;

/** An object schema whose listed properties are all required except those in `optional`. */
function object(properties: Record<string, unknown>, optional: string[] = []): JsonSchema {
  return {
    type: 'object',
    required: Object.keys(properties).filter((p) => !optional.includes(p)),
    properties,
    additionalProperties: false,
  };
}

const definition = object(
  {
    name: str,
    city: str,
    currency,
    channels: { type: 'array', minItems: 1, items: channel },
    variants: { type: 'array', minItems: 1, items: object({ sku: str, size: str, colour: str, editionCap: positive }) },
    priceTiers: { type: 'array', minItems: 1, items: object({ untilUnitsSold: positive, unitPrice: money }, ['untilUnitsSold']) },
    basketTiers: { type: 'array', items: object({ minQuantity: positive, percentOff: percent }) },
    window: object({ opensAt: instant, closesAt: instant }),
    earlyAccess: object({ opensAt: instant, audience: { type: 'string', enum: ['repeat-customers'] } }),
    phases: {
      type: 'array',
      minItems: 1,
      items: object(
        {
          name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,31}$' },
          opensAt: instant,
          audience: { type: 'string', enum: [...PHASE_AUDIENCES] },
          allocation: unitsBySku,
        },
        ['allocation'],
      ),
    },
    onSellOut: { type: 'string', enum: [...SELL_OUT_BEHAVIOURS] },
    perCustomerLimit: positive,
    minimumOrderQuantity: positive,
    production: object({ microfactoryId: str, leadTimeDays: count }),
    pickupLocations: { type: 'array', items: object({ locationId: str, discountPercent: percent }) },
    returnWindowDays: count,
  },
  ['city', 'basketTiers', 'earlyAccess', 'phases', 'onSellOut', 'pickupLocations'],
);

const payment = (at: string) => object({ dropId: str, preOrderId: str, amount: money, currency, providerRef: str, [at]: instant });

/** Payload schema of every stored event type (drop lifecycle and side streams), keyed by type. */
export const EVENT_PAYLOAD_SCHEMAS: Readonly<Record<keyof typeof EVENT_SCHEMA_VERSIONS, JsonSchema>> = Object.freeze({
  DropScheduled: object({ dropId: str, definition, scheduledAt: instant }),
  DropRevised: object({ dropId: str, definition, revisedAt: instant }),
  DropAnnounced: object({ dropId: str, announcedAt: instant }),
  EarlyAccessOpened: object({ dropId: str, audience: { type: 'string', enum: ['repeat-customers'] }, openedAt: instant }),
  AccessPhaseOpened: object({
    dropId: str,
    phase: str,
    audience: { type: 'string', enum: PHASE_AUDIENCES.filter((a) => a !== 'everyone') },
    opensAt: instant,
    trigger: { type: 'string', enum: ['schedule', 'ops'] },
    rolledOver: unitsBySku,
    openedAt: instant,
  }),
  DropMembersAdded: object({ dropId: str, customerIds: { type: 'array', minItems: 1, items: str }, addedBy: str, addedAt: instant }),
  DropMembersRemoved: object({ dropId: str, customerIds: { type: 'array', minItems: 1, items: str }, removedBy: str, removedAt: instant }),
  PreOrderWindowOpened: object({ dropId: str, openedAt: instant }),
  PreOrderPlaced: object(
    {
      dropId: str,
      preOrderId: str,
      customerId: str,
      sku: str,
      quantity: positive,
      channel,
      fulfillment: {
        oneOf: [object({ method: { const: 'ship' } }), object({ method: { const: 'pickup' }, locationId: str })],
      },
      referralCode: str,
      unitPrice: money,
      basketPercentOff: percent,
      pickupPercentOff: percent,
      total: money,
      currency,
      tier: { ...count, description: 'index into definition.priceTiers' },
      sequence: { ...positive, description: 'acceptance order within the drop' },
      idempotencyFingerprint: str,
      placedAt: instant,
    },
    ['referralCode'],
  ),
  VariantSoldOut: object({ dropId: str, sku: str, soldOutAt: instant }),
  DropSoldOut: object({ dropId: str, soldOutAt: instant }),
  PreOrderCancelled: object({ dropId: str, preOrderId: str, customerId: str, sku: str, quantity: positive, cancelledAt: instant }),
  PreOrderWindowClosed: object({ dropId: str, unitsSold: count, netUnits: count, activePreOrders: count, closedAt: instant }),
  TippingPointReached: object({ dropId: str, netUnits: count, minimumOrderQuantity: positive, reachedAt: instant }),
  DropCancelled: object({ dropId: str, reason: str, cancelledAt: instant }),
  RefundRequested: object({ dropId: str, preOrderId: str, customerId: str, amount: money, currency, reason: str, requestedAt: instant }),
  PaymentAuthorized: payment('authorizedAt'),
  PaymentCaptured: payment('capturedAt'),
  PaymentFailed: payment('failedAt'),
  PaymentRefunded: payment('refundedAt'),
  ProductionRunRequested: object({ dropId: str, runId: str, microfactoryId: str, unitsBySku, requestedAt: instant }),
  ProductionRunStarted: object({ dropId: str, runId: str, startedAt: instant }),
  ProductionRunCompleted: object({
    dropId: str,
    runId: str,
    producedBySku: unitsBySku,
    rejectedBySku: unitsBySku,
    goodBySku: unitsBySku,
    surplusBySku: unitsBySku,
    coveredPreOrderCount: {
      ...count,
      description: 'pre-orders this run covered; which ones follows from goodBySku and the earlier events',
    },
    uncoveredPreOrderCount: { ...count, description: 'pre-orders still waiting for goods after this run' },
    completedAt: instant,
  }),
  ShipmentDispatched: object({ dropId: str, preOrderId: str, carrier: str, trackingNumber: str, dispatchedAt: instant }),
  ShipmentDelivered: object({ dropId: str, preOrderId: str, deliveredAt: instant }),
  ReadyForPickup: object({ dropId: str, preOrderId: str, locationId: str, readyAt: instant }),
  PreOrderPickedUp: object({ dropId: str, preOrderId: str, locationId: str, pickedUpAt: instant }),
  ReturnRequested: object({
    dropId: str,
    returnId: str,
    preOrderId: str,
    reason: { type: 'string', enum: [...RETURN_REASONS] },
    requestedAt: instant,
  }),
  ReturnReceived: object({
    dropId: str,
    returnId: str,
    preOrderId: str,
    condition: { type: 'string', enum: [...RETURN_CONDITIONS] },
    receivedAt: instant,
  }),
  ReturnRefunded: object({ dropId: str, returnId: str, preOrderId: str, amount: money, currency, providerRef: str, refundedAt: instant }),
  DropCompleted: object({ dropId: str, completedAt: instant }),
  VisitsRecorded: object({
    dropId: str,
    visits: { type: 'array', minItems: 1, items: object({ visitorId: str, channel, at: instant }) },
    recordedAt: instant,
  }),
  DemandTurnedAway: object({
    dropId: str,
    sku: str,
    units: count,
    requests: count,
    reason: { type: 'string', enum: ['sold-out', 'insufficient-stock'] },
    intervalStart: instant,
    intervalEnd: instant,
  }),
  RestockRecommended: object({ dropId: str, sku: str, crossing: int, reorderPoint: int, available: int, recommendedAt: instant }),
});

/** One-line descriptions of each event type, for generated documentation. */
export const EVENT_DESCRIPTIONS: Readonly<Record<keyof typeof EVENT_SCHEMA_VERSIONS, string>> = Object.freeze({
  DropScheduled: 'The drop was created.',
  DropRevised: 'The definition was replaced before the drop opened.',
  DropAnnounced: 'Ops made the scheduled drop public: the storefront lists it before its early access or window opens.',
  EarlyAccessOpened:
    'Early access started for its audience. No longer written (AccessPhaseOpened replaced it); stored ones read as the opening of the early-access phase.',
  AccessPhaseOpened:
    'An access phase before the public window opened, on time (trigger schedule) or by hand (trigger ops); rolledOver = units the previous phase left of its allocation.',
  DropMembersAdded: "Ops granted customers access to the drop's members phases (addedBy = who).",
  DropMembersRemoved: "Ops withdrew customers' members access; their pre-orders stay (removedBy = who).",
  PreOrderWindowOpened: 'Everyone can pre-order.',
  PreOrderPlaced: 'A pre-order was accepted, priced and numbered.',
  VariantSoldOut: 'The SKU has 0 units left.',
  DropSoldOut: 'Every SKU has 0 units left.',
  PreOrderCancelled:
    'The customer cancelled; the units are available again. No RefundRequested follows: a payment service voids or refunds what the pre-order paid on this event.',
  PreOrderWindowClosed: 'No more pre-orders; totals as of closing.',
  TippingPointReached: 'Net units reached the minimum order quantity: the drop will be produced.',
  DropCancelled: 'The drop will not happen; active pre-orders get refunds.',
  RefundRequested: 'Money should go back for one pre-order.',
  PaymentAuthorized: 'The payment provider authorized a pre-order payment.',
  PaymentCaptured: 'The payment provider captured a pre-order payment.',
  PaymentFailed: 'The payment provider reported a failed payment.',
  PaymentRefunded: 'The payment provider refunded a pre-order.',
  ProductionRunRequested: 'A run was asked of the microfactory.',
  ProductionRunStarted: 'The microfactory started the run.',
  ProductionRunCompleted:
    'The run finished; good units went to the waiting pre-orders per SKU in acceptance order, up to the first that does not fit. It names no pre-order: consumers derive which ones (docs/messaging.md).',
  ShipmentDispatched: 'A covered ship pre-order is on its way.',
  ShipmentDelivered: 'The shipment arrived; the return window starts.',
  ReadyForPickup: 'A covered pickup pre-order waits at its location.',
  PreOrderPickedUp: 'The customer collected it; the return window starts.',
  ReturnRequested: 'The customer asked to return a pre-order.',
  ReturnReceived: 'The goods came back.',
  ReturnRefunded: 'The return was refunded by the provider; the return is closed.',
  DropCompleted: 'Everything is handed over or refunded and every return window has passed.',
  VisitsRecorded: 'A batch of storefront visits (stream visits-<dropId>).',
  DemandTurnedAway:
    'Rejected demand aggregated over an interval (stream demand-<dropId>): intervalStart to intervalEnd is the flush interval the requests were counted in, a few seconds long (longer only when the append had to wait for the store; events stored before 2026-12 may start at the previous non-empty flush, so date them by intervalEnd).',
  RestockRecommended: 'Available units crossed a reorder point (stream restock-<dropId>).',
});
