import { DomainError } from '../decider';
import { dailySeries, inverseStandardNormal, reorderPoint } from './reorder-point';

describe('inverseStandardNormal', () => {
  it.each([
    [0.95, 1.644854],
    [0.99, 2.326348],
    [0.9, 1.281552],
    [0.5, 0],
    [0.01, -2.326348], // lower tail branch (p < 0.02425)
    [0.999, 3.090232], // upper tail branch
  ])('z(%p) = %p within 1e-6', (p, z) => {
    expect(Math.abs(inverseStandardNormal(p) - z)).toBeLessThan(1e-6);
  });

  it.each([0, 1, -0.1, 1.5, Number.NaN])('rejects service level %p', (p) => {
    expect(() => inverseStandardNormal(p)).toThrow(DomainError);
  });
});

describe('reorderPoint', () => {
  it('matches a hand computation', () => {
    // dailyUnits 2 4 4 4 5 5 7 9: n = 8, Σ = 40, d̄ = 5.
    // deviations −3 −1 −1 −1 0 0 2 4 → squares 9 1 1 1 0 0 4 16, Σ = 32.
    // sample variance 32 / (8 − 1) = 4.571429; σ = √4.571429 = 2.138090.
    // z(0.95) = 1.644854; L = 4 → √L = 2.
    // safety stock = 1.644854 × 2.138090 × 2 = 7.033690; reorder point = 5 × 4 + 7.033690 = 27.033690.
    const result = reorderPoint({ dailyUnits: [2, 4, 4, 4, 5, 5, 7, 9], leadTimeDays: 4, serviceLevel: 0.95 });
    expect(result.days).toBe(8);
    expect(result.meanDailyUnits).toBe(5);
    expect(result.stdDevDailyUnits).toBeCloseTo(2.13809, 5);
    expect(result.z).toBeCloseTo(1.644854, 6);
    expect(result.safetyStock).toBeCloseTo(7.03369, 5);
    expect(result.reorderPoint).toBeCloseTo(27.03369, 5);
  });

  it('matches a second hand computation with zero days and a 99 % service level', () => {
    // dailyUnits 0 3 0 6: d̄ = 9 / 4 = 2.25; deviations −2.25 0.75 −2.25 3.75 → squares 5.0625 0.5625 5.0625 14.0625, Σ = 24.75.
    // σ = √(24.75 / 3) = √8.25 = 2.872281. z(0.99) = 2.326348; L = 9 → √L = 3.
    // safety = 2.326348 × 2.872281 × 3 = 20.045777; reorder point = 2.25 × 9 + 20.045777 = 40.295777.
    const result = reorderPoint({ dailyUnits: [0, 3, 0, 6], leadTimeDays: 9, serviceLevel: 0.99 });
    expect(result.stdDevDailyUnits).toBeCloseTo(2.872281, 6);
    expect(result.safetyStock).toBeCloseTo(20.045777, 5);
    expect(result.reorderPoint).toBeCloseTo(40.295777, 5);
  });

  it('uses σ = 0 with fewer than two days', () => {
    // One day of 3 units, L = 5: 3 × 5 + 0 = 15.
    expect(reorderPoint({ dailyUnits: [3], leadTimeDays: 5, serviceLevel: 0.95 })).toMatchObject({
      stdDevDailyUnits: 0,
      safetyStock: 0,
      reorderPoint: 15,
    });
    expect(reorderPoint({ dailyUnits: [], leadTimeDays: 5, serviceLevel: 0.95 })).toMatchObject({ meanDailyUnits: 0, reorderPoint: 0 });
  });

  it('returns its inputs beside the result (a copy of the series)', () => {
    const dailyUnits = [1, 2];
    const result = reorderPoint({ dailyUnits, leadTimeDays: 2, serviceLevel: 0.9 });
    expect(result).toMatchObject({ dailyUnits: [1, 2], leadTimeDays: 2, serviceLevel: 0.9 });
    expect(result.dailyUnits).not.toBe(dailyUnits);
  });

  it('rejects negative demand and lead time', () => {
    expect(() => reorderPoint({ dailyUnits: [1, -1], leadTimeDays: 2, serviceLevel: 0.9 })).toThrow(DomainError);
    expect(() => reorderPoint({ dailyUnits: [1], leadTimeDays: -2, serviceLevel: 0.9 })).toThrow(DomainError);
  });
});

describe('dailySeries', () => {
  it('buckets by UTC day over [start, end), including empty days', () => {
    // Window Dec 1 10:00 → Dec 4 10:00 touches Dec 1, 2, 3, 4.
    const series = dailySeries(
      [
        { at: '2026-12-01T11:00:00Z', units: 2 },
        { at: '2026-12-01T23:59:59Z', units: 1 },
        { at: '2026-12-03T00:00:00Z', units: 3 },
        { at: '2026-12-04T01:30:00+02:00', units: 4 }, // = Dec 3 23:30 UTC
        { at: '2026-12-04T09:59:59Z', units: 1 },
        { at: '2026-12-04T10:00:00Z', units: 5 }, // end is exclusive
        { at: '2026-11-30T12:00:00Z', units: 2 }, // before the window
      ],
      '2026-12-01T10:00:00Z',
      '2026-12-04T10:00:00Z',
    );
    expect(series).toEqual({
      windowStart: '2026-12-01T10:00:00Z',
      windowEnd: '2026-12-04T10:00:00Z',
      days: ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04'],
      dailyUnits: [3, 0, 7, 1],
      unitsOutsideWindow: 7,
    });
  });

  it('a window ending at midnight does not get an empty extra day', () => {
    expect(dailySeries([], '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z').days).toEqual(['2026-12-01', '2026-12-02']);
  });

  it('feeds reorderPoint', () => {
    const { dailyUnits } = dailySeries([{ at: '2026-12-02T10:00:00Z', units: 4 }], '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z');
    // [0, 4]: d̄ = 2, σ = √((4 + 4) / 1) = 2.828427; L = 1 → 2 + 1.644854 × 2.828427 = 2 + 4.652349 = 6.652349.
    expect(reorderPoint({ dailyUnits, leadTimeDays: 1, serviceLevel: 0.95 }).reorderPoint).toBeCloseTo(6.652349, 5);
  });

  it('rejects a window that ends before it starts', () => {
    expect(() => dailySeries([], '2026-12-03T00:00:00Z', '2026-12-01T00:00:00Z')).toThrow(DomainError);
  });
});
