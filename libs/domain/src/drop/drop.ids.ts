import { hash } from 'node:crypto';

/** Stream category of the Drop aggregate (no hyphen: the category ends at the first '-'). */
export const DROP_STREAM_CATEGORY = 'drop';
/** Side-stream categories appended to by read-side components, one stream per drop. */
export const VISITS_STREAM_CATEGORY = 'visits';
export const DEMAND_STREAM_CATEGORY = 'demand';
export const RESTOCK_STREAM_CATEGORY = 'restock';

/**
 * Drop ids may contain '-' (the category is the part before the FIRST '-') but never '.',
 * because child ids are `<dropId>.<kind>.<suffix>` and dropIdOf splits on the first '.'.
 */
export const DROP_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `dropId` can be used as a drop id. */
export function isValidDropId(dropId: string): boolean {
  return DROP_ID_PATTERN.test(dropId);
}

/** `drop-<dropId>`. */
export function dropStreamName(dropId: string): string {
  return `${DROP_STREAM_CATEGORY}-${dropId}`;
}

/** `visits-<dropId>`. */
export function visitsStreamName(dropId: string): string {
  return `${VISITS_STREAM_CATEGORY}-${dropId}`;
}

/** `demand-<dropId>`. */
export function demandStreamName(dropId: string): string {
  return `${DEMAND_STREAM_CATEGORY}-${dropId}`;
}

/** `restock-<dropId>`. */
export function restockStreamName(dropId: string): string {
  return `${RESTOCK_STREAM_CATEGORY}-${dropId}`;
}

/** The drop id of a `drop-<dropId>` stream, or undefined for any other stream. */
export function dropIdFromStreamName(streamName: string): string | undefined {
  const prefix = `${DROP_STREAM_CATEGORY}-`;
  if (!streamName.startsWith(prefix)) return undefined;
  const dropId = streamName.slice(prefix.length);
  return isValidDropId(dropId) ? dropId : undefined;
}

// One-shot crypto.hash: no Hash object (and its native handle for the GC to finalise) per pre-order.
const hex20 = (text: string): string => hash('sha256', text).slice(0, 20);

/**
 * Deterministic pre-order id, so a retried HTTP request with the same Idempotency-Key maps
 * to the same pre-order: `${dropId}.po.${first 20 hex of sha256(customerId + '\n' + key)}`.
 */
export function preOrderIdFor(dropId: string, customerId: string, idempotencyKey: string): string {
  return `${dropId}.po.${hex20(`${customerId}\n${idempotencyKey}`)}`;
}

/** `${dropId}.run.${n}`; run 1 is requested by the tipping point, extra runs count up from 2. */
export function productionRunIdFor(dropId: string, n: number): string {
  return `${dropId}.run.${n}`;
}

/**
 * `${preOrderId}.ret.${n}` for the drop's own pre-order ids (they already start with `${dropId}.`);
 * a foreign-looking pre-order id is prefixed with the drop id so dropIdOf still works.
 */
export function returnIdFor(dropId: string, preOrderId: string, n: number): string {
  const base = preOrderId.startsWith(`${dropId}.`) ? preOrderId : `${dropId}.${preOrderId}`;
  return `${base}.ret.${n}`;
}

/** The drop a child id (pre-order, run, return) belongs to: the part before the first '.'. */
export function dropIdOf(childId: string): string {
  const dot = childId.indexOf('.');
  return dot === -1 ? childId : childId.slice(0, dot);
}
