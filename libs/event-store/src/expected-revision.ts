import type { ExpectedRevision } from './event-store.port';

/** True when a stream at `actual` (-1 = no stream) satisfies `expected`; shared by adapters that check it themselves. */
export function satisfiesExpectedRevision(expected: ExpectedRevision, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === -1;
    case 'stream_exists':
      return actual >= 0;
    default:
      return expected === actual;
  }
}

/** Rejects expected revisions no store could satisfy (NaN, fractions, below -1) before touching the store. */
export function assertValidExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < -1)) {
    throw new RangeError(`Invalid expected revision: ${expected}`);
  }
}
