import { compareLogPositions, formatLogPosition, parseLogPosition } from './postgres.position';
import { utcTimestampToIso } from './postgres.event-store';
import { isConnectionError } from './postgres.errors';
import { satisfiesExpectedRevision } from '../expected-revision';

describe('PostgreSQL log positions', () => {
  it('round-trips and treats undefined as the start of the log', () => {
    expect(formatLogPosition(parseLogPosition('1234:56'))).toBe('1234:56');
    expect(parseLogPosition(undefined)).toEqual({ transactionId: '0', globalPosition: '0' });
  });

  it('rejects strings from another adapter', () => {
    expect(() => parseLogPosition('12/34')).toThrow('Not a PostgreSQL event store position');
    expect(() => parseLogPosition('1:2:3')).toThrow();
  });

  it("rejects numbers out of the columns' ranges (xid8, bigint) rather than failing in the database", () => {
    expect(parseLogPosition('18446744073709551615:9223372036854775807')).toEqual({
      transactionId: '18446744073709551615',
      globalPosition: '9223372036854775807',
    });
    expect(() => parseLogPosition('18446744073709551616:1')).toThrow('Not a PostgreSQL event store position');
    expect(() => parseLogPosition('1:9223372036854775808')).toThrow('Not a PostgreSQL event store position');
  });

  it('orders by transaction id first, numerically', () => {
    const cmp = (a: string, b: string) => Math.sign(compareLogPositions(parseLogPosition(a), parseLogPosition(b)));
    expect(cmp('9:100', '10:1')).toBe(-1);
    expect(cmp('10:2', '10:11')).toBe(-1);
    expect(cmp('10:11', '10:11')).toBe(0);
    expect(cmp('18446744073709551615:1', '18446744073709551614:9')).toBe(1);
  });
});

describe('utcTimestampToIso', () => {
  it('normalises the fraction to milliseconds', () => {
    expect(utcTimestampToIso('2026-01-01 10:00:00.123456')).toBe('2026-01-01T10:00:00.123Z');
    expect(utcTimestampToIso('2026-01-01 10:00:00.5')).toBe('2026-01-01T10:00:00.500Z');
    expect(utcTimestampToIso('2026-01-01 10:00:00')).toBe('2026-01-01T10:00:00.000Z');
  });
});

describe('isConnectionError', () => {
  it('recognises socket errors, shutdown SQLSTATEs and dual-stack AggregateErrors, not SQL errors', () => {
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(true);
    expect(isConnectionError(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
  });
});

describe('satisfiesExpectedRevision', () => {
  it.each([
    ['any', -1, true],
    ['any', 4, true],
    ['no_stream', -1, true],
    ['no_stream', 0, false],
    ['stream_exists', -1, false],
    ['stream_exists', 0, true],
    [-1, -1, true],
    [3, 3, true],
    [3, 2, false],
    [3, 4, false],
  ] as const)('expected %p at actual %p -> %p', (expected, actual, result) => {
    expect(satisfiesExpectedRevision(expected, actual)).toBe(result);
  });
});
