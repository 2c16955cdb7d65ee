/**
 * Global-log positions of the PostgreSQL adapter: `${transaction_id}:${global_position}`.
 * Opaque above the port; only this adapter parses them.
 */
export interface LogPosition {
  /** xid8 of the appending transaction, as a decimal string. */
  transactionId: string;
  /** bigserial global_position, as a decimal string. */
  globalPosition: string;
}

/** The position before the first event: every real xid8 is >= 3 and every global_position >= 1. */
export const LOG_START: LogPosition = { transactionId: '0', globalPosition: '0' };

const POSITION_PATTERN = /^(\d{1,20}):(\d{1,20})$/;
/** The column types' ranges: xid8 is unsigned 64-bit, global_position a (signed) bigint. */
const MAX_XID8 = 2n ** 64n - 1n;
const MAX_BIGINT = 2n ** 63n - 1n;

/** Formats a position as the opaque string handed out above the port. */
export function formatLogPosition(position: LogPosition): string {
  return `${position.transactionId}:${position.globalPosition}`;
}

/** Parses an opaque position string; undefined means the start of the log. */
export function parseLogPosition(position: string | undefined): LogPosition {
  if (position === undefined) return LOG_START;
  const match = POSITION_PATTERN.exec(position);
  // Out of the columns' ranges is not a position either: the query would fail in the database.
  if (!match || BigInt(match[1]) > MAX_XID8 || BigInt(match[2]) > MAX_BIGINT)
    throw new Error(`Not a PostgreSQL event store position: "${position}"`);
  return { transactionId: match[1], globalPosition: match[2] };
}

/** Compares two positions in log order (negative, zero or positive). */
export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  const byTransaction = compareDecimal(a.transactionId, b.transactionId);
  return byTransaction !== 0 ? byTransaction : compareDecimal(a.globalPosition, b.globalPosition);
}

function compareDecimal(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
