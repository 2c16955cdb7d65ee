import { harbourHoodie } from './test-engine';
import { bearer } from '../../../../libs/platform/src/testing/test-auth';

/**
 * Sizes of the chaos suites: small enough for CI by default, bigger with
 * `npm run chaos` (CHAOS_SCALE=full) or explicit overrides (CHAOS_KILLS=20 …).
 */
export function chaosSize(name: string, ci: number, full: number): number {
  const explicit = process.env[`CHAOS_${name}`];
  if (explicit && /^\d+$/.test(explicit)) return Number(explicit);
  return process.env.CHAOS_SCALE === 'full' ? full : ci;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One HTTP answer, or `undefined` when none came (connection refused, reset, timed out). */
export interface Answer {
  status: number;
  body: any;
  ms: number;
}

/** fetch with a deadline that never throws: a missing answer is `undefined`. */
export async function tryFetch(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Answer | undefined> {
  const started = Date.now();
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 10_000) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return { status: response.status, body, ms: Date.now() - started };
  } catch {
    return undefined;
  }
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i], i);
      }
    }),
  );
  return out;
}

/** A drop open right now (by the wall clock: the built engine runs on system time) with one hot SKU. */
export function hotDropBody(cap: number, perCustomerLimit: number): Record<string, unknown> {
  const now = Date.now();
  const body: Record<string, unknown> = harbourHoodie({
    variants: [{ sku: 'HOT-1', size: 'M', colour: 'red', editionCap: cap }],
    window: { opensAt: new Date(now - 60_000).toISOString(), closesAt: new Date(now + 24 * 3_600_000).toISOString() },
    perCustomerLimit,
    minimumOrderQuantity: 1,
  });
  delete body.earlyAccess;
  return body;
}

/** Schedules and opens a hot drop through the API (as ops); returns its id. */
export async function openHotDrop(url: string, cap: number, perCustomerLimit: number): Promise<string> {
  const created = await tryFetch(`${url}/drops`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer('ops') },
    body: JSON.stringify(hotDropBody(cap, perCustomerLimit)),
  });
  if (created?.status !== 201) throw new Error(`schedule failed: ${JSON.stringify(created)}`);
  const dropId = created.body.dropId as string;
  const opened = await tryFetch(`${url}/drops/${dropId}/open`, { method: 'POST', headers: bearer('ops') });
  if (opened?.status !== 200) throw new Error(`open failed: ${JSON.stringify(opened)}`);
  return dropId;
}

/** A buyer's pre-order of one HOT-1 unit on the web, as that customer. */
export function placeHot(url: string, dropId: string, customerId: string, key: string, timeoutMs = 10_000): Promise<Answer | undefined> {
  return tryFetch(`${url}/drops/${dropId}/pre-orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...bearer('customer', customerId) },
    body: JSON.stringify({ customerId, sku: 'HOT-1', quantity: 1, channel: 'web', fulfillment: { method: 'ship' } }),
    timeoutMs,
  });
}
