import { dailySeries, inverseStandardNormal, reorderPoint } from '@dropline/domain';

// Hand-computed cases of the shared formula (libs/domain/src/restock/reorder-point.ts) the
// restock-thresholds read model stores: ROP = d̄·L + z·σ·√L, σ the sample standard deviation.
describe('reorder point', () => {
  it('4 days [2, 4, 4, 6], L = 9, 95 %: d̄ = 4, σ = √(8/3), ROP = 36 + 8.058104', () => {
    const r = reorderPoint({ dailyUnits: [2, 4, 4, 6], leadTimeDays: 9, serviceLevel: 0.95 });
    expect(r.meanDailyUnits).toBe(4);
    // Σ(x − 4)² = 4 + 0 + 0 + 4 = 8, / (n − 1 = 3)
    expect(r.stdDevDailyUnits).toBeCloseTo(Math.sqrt(8 / 3), 12);
    expect(r.z).toBeCloseTo(1.6448536, 6);
    expect(r.safetyStock).toBeCloseTo(8.058104, 5); // 1.6448536 · 1.6329932 · 3
    expect(r.reorderPoint).toBeCloseTo(44.058104, 5);
  });

  it('zero-sale days count: [0, 10, 0, 10] over L = 4 at 50 % is d̄·L = 20 with no safety stock', () => {
    const r = reorderPoint({ dailyUnits: [0, 10, 0, 10], leadTimeDays: 4, serviceLevel: 0.5 });
    expect(r.meanDailyUnits).toBe(5);
    expect(r.stdDevDailyUnits).toBeCloseTo(Math.sqrt(100 / 3), 12);
    expect(r.z).toBeCloseTo(0, 9);
    expect(r.reorderPoint).toBeCloseTo(20, 9);
  });

  it('a constant rate has no variability: [3, 3, 3], L = 14 → 42 whatever the service level', () => {
    expect(reorderPoint({ dailyUnits: [3, 3, 3], leadTimeDays: 14, serviceLevel: 0.99 }).reorderPoint).toBe(42);
  });

  it('one day or none: σ = 0 (a sample deviation needs two days)', () => {
    expect(reorderPoint({ dailyUnits: [7], leadTimeDays: 2, serviceLevel: 0.95 })).toMatchObject({ stdDevDailyUnits: 0, reorderPoint: 14 });
    expect(reorderPoint({ dailyUnits: [], leadTimeDays: 2, serviceLevel: 0.95 })).toMatchObject({ meanDailyUnits: 0, reorderPoint: 0 });
  });

  it('z = Φ⁻¹(service level) at the usual levels', () => {
    expect(inverseStandardNormal(0.9)).toBeCloseTo(1.2815516, 6);
    expect(inverseStandardNormal(0.975)).toBeCloseTo(1.959964, 6);
    expect(inverseStandardNormal(0.99)).toBeCloseTo(2.3263479, 6);
  });

  it('days are UTC days of the window, partial first and last days included, zero days kept', () => {
    const s = dailySeries(
      [
        { at: '2026-12-01T23:59:59Z', units: 2 },
        { at: '2026-12-03T00:00:00Z', units: 1 },
      ],
      '2026-12-01T10:00:00Z',
      '2026-12-04T10:00:00Z',
    );
    expect(s.days).toEqual(['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04']);
    expect(s.dailyUnits).toEqual([2, 0, 1, 0]);
  });

  it('rejects a service level outside (0, 1)', () => {
    expect(() => reorderPoint({ dailyUnits: [1], leadTimeDays: 1, serviceLevel: 1 })).toThrow(
      expect.objectContaining({ code: 'RESTOCK.INVALID_INPUT' }),
    );
  });
});
