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
  /** metadata.occurredAt */
  at: string;
  /** Date.parse(at) */
  atMs: number;
  event: DropEvent;
  /** The pre-order the event names (its data.preOrderId), before the event; undefined when unknown or none. */
  preOrder: P | undefined;
  /** True when the production run the event names (data.runId) was requested before the event. */
  runKnown: boolean;
}

/** The DropFact of a recorded event without the row facts (the executor fills them in); undefined for a non-drop stream. */
export function factOf(recorded: RecordedEvent): DropFact<never> | undefined {
  const dropId = dropIdFromStreamName(recorded.streamName);
  if (!dropId) return undefined;
  return {
    dropId,
    revision: recorded.revision,
    at: recorded.metadata.occurredAt,
    atMs: Date.parse(recorded.metadata.occurredAt),
    event: { type: recorded.type, data: upcast(recorded.type, recorded.schemaVersion, recorded.data) } as DropEvent,
    preOrder: undefined,
    runKnown: false,
  };
}

/** The pre-order id an event names, if any. */
export function preOrderIdOf(event: DropEvent): string | undefined {
  const id = (event.data as { preOrderId?: unknown }).preOrderId;
  return typeof id === 'string' ? id : undefined;
}

/** The production run id an event names, if any. */
export function runIdOf(event: DropEvent): string | undefined {
  const id = (event.data as { runId?: unknown }).runId;
  return typeof id === 'string' ? id : undefined;
}

/** Key of a row keyed by (drop, something) in the executor's maps. */
export const pairKey = (a: string, b: string): string => `${a}\u0000${b}`;

export const col = <R>(name: string, type: Column<R>['type'], get: (r: R) => unknown): Column<R> => ({ name, type, get });
export const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
export const num = (v: unknown): number => Number(v);
