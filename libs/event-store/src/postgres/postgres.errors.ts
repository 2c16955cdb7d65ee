import { StoreUnavailableError, WrongExpectedRevisionError } from '../event-store.port';

// Socket-level failures (node) and SQLSTATEs that mean "the server is not there or not taking work",
// as opposed to a bad query. Class 08 = connection exception, 57P0x = shutdown/crash/cannot connect now,
// 53300 = too many connections.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '57P05', '53300', '08000', '08001', '08003', '08004', '08006', '08007']);
// node-postgres reports some connection losses only through the message.
const MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/** True for errors that mean the database cannot be reached (not for SQL errors). */
export function isConnectionError(error: unknown): boolean {
  // Duck-typed on purpose: socket errors are created by node core, and `instanceof Error` is false
  // for them inside another realm (jest's vm contexts).
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SQLSTATES.has(code))) return true;
  // Node reports a failed dual-stack connect (localhost -> ::1 and 127.0.0.1) as an AggregateError.
  if (Array.isArray(errors) && errors.some(isConnectionError)) return true;
  return typeof message === 'string' && MESSAGES.some((m) => message.includes(m));
}

/** Maps connection failures to StoreUnavailableError and returns anything else unchanged. */
export function toStoreError(error: unknown, operation: string): unknown {
  if (error instanceof StoreUnavailableError) return error;
  if (isConnectionError(error)) {
    return new StoreUnavailableError(
      `PostgreSQL event store unavailable during ${operation}: ${String((error as { message?: unknown }).message)}`,
      error,
    );
  }
  return error;
}

/** SQLSTATE and constraint of a PostgreSQL error, when it is one. */
export function pgErrorInfo(error: unknown): { code?: string; constraint?: string; detail?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as { code?: unknown; constraint?: unknown; detail?: unknown };
  return {
    code: typeof e.code === 'string' ? e.code : undefined,
    constraint: typeof e.constraint === 'string' ? e.constraint : undefined,
    detail: typeof e.detail === 'string' ? e.detail : undefined,
  };
}

// SQLSTATE classes in which PostgreSQL refuses the VALUES it was given rather than failing itself:
// 22 data exception (22P05 a \u0000 escape in jsonb, 22P02 an unpaired surrogate escape in jsonb,
// 22021 a NUL byte in text), 23 integrity constraint violation, 54 program limit exceeded (a value
// or a row too large).
const DATA_REFUSAL_CLASSES = new Set(['22', '23', '54']);

/**
 * True when a write failed because of what it carried, so the same write with other values could
 * succeed: a PostgreSQL error of class 22, 23 or 54, or an error without a SQLSTATE (e.g. a
 * TypeError from JSON.stringify on a value it cannot serialise). False for an outage
 * (StoreUnavailableError, isConnectionError) and for every other SQLSTATE: a missing table, a
 * cancelled statement, a full disk or a deadlock is the store's failure, not the data's.
 * WrongExpectedRevisionError is not a refusal either (the same values may be re-decided).
 */
export function isDataRefusal(error: unknown): boolean {
  if (error instanceof StoreUnavailableError || error instanceof WrongExpectedRevisionError || isConnectionError(error)) return false;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // Our own store errors carry dotted codes; STORE.UNAVAILABLE is also checked by code in case the
  // error crossed a realm (jest's vm contexts) and instanceof is false.
  if (code === 'STORE.UNAVAILABLE' || code === 'STORE.WRONG_EXPECTED_REVISION') return false;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return DATA_REFUSAL_CLASSES.has(code.slice(0, 2));
  return true;
}
