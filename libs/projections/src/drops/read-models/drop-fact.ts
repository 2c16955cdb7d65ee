import { dropIdFromStreamName, upcast } from '@dropline/domain';
import type { DropEvent } from '@dropline/domain';
import type { RecordedEvent } from '@dropline/event-store';
import type { Column } from '../../upsert';

/**
 * What the read models of a pre-order need to know about it before an event that names it:
 * the pre-order model keeps these (and more) in rm_customer_pre_orders, the restock reactor
 * keeps exactly these in rm_restock_reactor_pre_orders.
 */
export interface PreOrderFacts {
  preOrderId: string;
  dropId: string;
  sku: string;
  quantity: number;
  status: 'active' | 'cancelled';
  refundRequested: boolean;
  handOver: string;
  returnId: string | null;
  returnReason: string | null;
  returnStatus: string | null;
}

/**
 * OWNERSHIP. Every read model's evolve is `evolve(row, fact) → row | null`: a function of its
 * arguments alone (no I/O, no clock, nothing shared), null meaning no row / delete. It takes
 * ownership of `row`: it may return that object updated in place, so a caller must keep only
 * what it returns (the executor hands each evolve the one reference to a row loaded or created
 * for the page, and stores the result). Copying every row on every event made a rebuild a
 * fifth slower (garbage collection over 50,000-event pages), hence this contract rather than
 * fresh objects. The pre-order and production-run evolves do return fresh objects: the other
 * models read the pre-order as it stood before the event.
 */

/**
 * One drop event as every read model's `evolve` receives it: the upcast event, where it stands in
 * its drop's stream, and the facts it refers to as they stood *before* it (an event such as
 * `ShipmentDelivered` names a pre-order, not its SKU or quantity). The executor that calls the
 * evolves resolves those facts from the rows it loaded, so each evolve stays a pure function of
 * (row, fact).
 */
export interface DropFact<P extends PreOrderFacts = PreOrderFacts> {
  dropId: string;
  /** Revision of the event in its `drop-<id>` stream. */
  revision: number;
  /** The event's id, correlation id and trace context (what a reaction to it names as causation and keeps). */
  eventId: string;
  correlationId: string;
  traceparent: string;
  /** metadata.occurredAt */
  at: string;
  /** Date.parse(at) */
  atMs: number;
  event: DropEvent;
  /** The pre-order the event names (data.preOrderId), if any. */
  preOrderId: string | undefined;
  /** The production run the event names (data.runId), if any. */
  runId: string | undefined;
  /** The pre-order the event names (its data.preOrderId), before the event; undefined when unknown or none. */
  preOrder: P | undefined;
  /** True when the production run the event names (data.runId) was requested before the event. */
  runKnown: boolean;
}

/** The DropFact of a recorded event without the row facts (the executor fills them in); undefined for a non-drop stream. */
export function factOf(recorded: RecordedEvent): DropFact<never> | undefined {
  const dropId = dropIdFromStreamName(recorded.streamName);
  if (!dropId) return undefined;
  const event = { type: recorded.type, data: upcast(recorded.type, recorded.schemaVersion, recorded.data) } as DropEvent;
  return {
    dropId,
    revision: recorded.revision,
    eventId: recorded.eventId,
    correlationId: recorded.metadata.correlationId,
    traceparent: recorded.metadata.traceparent,
    at: recorded.metadata.occurredAt,
    atMs: parseInstant(recorded.metadata.occurredAt),
    event,
    preOrderId: preOrderNamedIn(event),
    runId: runNamedIn(event),
    preOrder: undefined,
    runKnown: false,
  };
}

/**
 * The pre-order an event names. Read case by case: a single `data.preOrderId` read over every
 * event type would be a megamorphic property access on the hot path of a rebuild.
 */
function preOrderNamedIn(event: DropEvent): string | undefined {
  switch (event.type) {
    case 'PreOrderPlaced':
    case 'PreOrderCancelled':
    case 'RefundRequested':
    case 'PaymentAuthorized':
    case 'PaymentCaptured':
    case 'PaymentFailed':
    case 'PaymentRefunded':
    case 'ShipmentDispatched':
    case 'ShipmentDelivered':
    case 'ReadyForPickup':
    case 'PreOrderPickedUp':
    case 'ReturnRequested':
    case 'ReturnReceived':
    case 'ReturnRefunded':
      return event.data.preOrderId;
    default:
      return undefined;
  }
}

/** The production run an event names. */
function runNamedIn(event: DropEvent): string | undefined {
  switch (event.type) {
    case 'ProductionRunRequested':
    case 'ProductionRunStarted':
    case 'ProductionRunCompleted':
      return event.data.runId;
    default:
      return undefined;
  }
}

const digit = (s: string, i: number): number => s.charCodeAt(i) - 48;
const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = digit(s, i);
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
};

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); day 29–31 roll over like Date.UTC. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * Date.parse, with a fast path for the form every Dropline instant has (toISOString's
 * `YYYY-MM-DDTHH:mm:ss.sssZ`): a rebuild reads an instant or two per event, and Date.parse
 * costs a third of a microsecond each.
 */
export function parseInstant(iso: string): number {
  if (
    iso.length === 24 &&
    iso.charCodeAt(4) === 45 && // -
    iso.charCodeAt(7) === 45 &&
    iso.charCodeAt(10) === 84 && // T
    iso.charCodeAt(13) === 58 && // :
    iso.charCodeAt(16) === 58 &&
    iso.charCodeAt(19) === 46 && // .
    iso.charCodeAt(23) === 90 // Z
  ) {
    const year = digits(iso, 0, 4);
    const month = digits(iso, 5, 7);
    const day = digits(iso, 8, 10);
    const hour = digits(iso, 11, 13);
    const minute = digits(iso, 14, 16);
    const second = digits(iso, 17, 19);
    const ms = digits(iso, 20, 23);
    // Within the ranges Date.parse accepts as they are (it rolls day 29–31 over as Date.UTC does);
    // anything else (a NaN digit, year < 100, hour 24) is left to Date.parse.
    if (year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)
      return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
  }
  return Date.parse(iso);
}

/** Key of a row keyed by (drop, something) in the executor's maps. */
export const pairKey = (a: string, b: string): string => `${a}\u0000${b}`;

export const col = <R>(name: string, type: Column<R>['type'], get: (r: R) => unknown): Column<R> => ({ name, type, get });
export const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
export const num = (v: unknown): number => Number(v);
