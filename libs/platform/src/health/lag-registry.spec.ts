import { lagVerdict } from './lag-registry';

const limits = { maxLagSeconds: 30, maxLagEvents: 10_000 };

describe('readiness rule for a reader (lagVerdict)', () => {
  it('is ready within both limits, and shows both units next to their limits', () => {
    expect(lagVerdict({ lagSeconds: 30, lagEvents: 10_000 }, limits)).toEqual({
      ready: true,
      details: { lag: 10_000, maxLag: 10_000, lagSeconds: 30, maxLagSeconds: 30 },
    });
  });

  it('fails on seconds behind alone, where the store cannot count events (EventStoreDB)', () => {
    expect(lagVerdict({ lagSeconds: 30.5, lagEvents: null }, limits)).toEqual({
      ready: false,
      details: { lag: null, maxLag: 10_000, lagSeconds: 30.5, maxLagSeconds: 30 },
    });
    expect(lagVerdict({ lagSeconds: 29, lagEvents: null }, limits).ready).toBe(true);
  });

  it('fails on events behind where they are counted, even a second behind', () => {
    expect(lagVerdict({ lagSeconds: 1, lagEvents: 10_001 }, limits).ready).toBe(false);
  });

  it('counts a reader not running here as ready', () => {
    expect(lagVerdict(undefined, limits)).toEqual({ ready: true, details: { lag: null, note: 'not running in this instance' } });
  });
});
