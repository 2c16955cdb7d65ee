import { StoreUnavailableError, WrongExpectedRevisionError } from '../event-store.port';
import { isDataRefusal } from './postgres.errors';

const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe('isDataRefusal', () => {
  it('is true when PostgreSQL refuses the values: a NUL or lone surrogate in jsonb, a NUL in text, a constraint, a size limit', () => {
    for (const code of ['22P05', '22P02', '22021', '22001', '23505', '54000']) expect(isDataRefusal(pgError(code))).toBe(true);
  });

  it('is true for an error without a SQLSTATE (JSON.stringify cannot serialise a value)', () => {
    let error: unknown;
    try {
      JSON.stringify({ n: BigInt(1) });
    } catch (e) {
      error = e;
    }
    expect(isDataRefusal(error)).toBe(true);
  });

  it('is false for outages, revision conflicts and failures of the store itself', () => {
    expect(isDataRefusal(new StoreUnavailableError('down'))).toBe(false);
    expect(isDataRefusal({ code: 'STORE.UNAVAILABLE', message: 'down (other realm)' })).toBe(false);
    expect(isDataRefusal(new WrongExpectedRevisionError('s', 1, 2))).toBe(false);
    expect(isDataRefusal(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
    expect(isDataRefusal(new Error('Connection terminated unexpectedly'))).toBe(false);
    // missing table, statement timeout, deadlock, disk full, internal error
    for (const code of ['42P01', '57014', '40P01', '53100', 'XX000', '57P01']) expect(isDataRefusal(pgError(code))).toBe(false);
  });
});
