import { basketPercentFor, discountedTotal, priceOrder, tierIndexFor } from './drop.pricing';

const ladder = [{ untilUnitsSold: 10, unitPrice: 2500 }, { untilUnitsSold: 40, unitPrice: 3000 }, { unitPrice: 3500 }];

describe('tierIndexFor', () => {
  it.each([
    [0, 0],
    [9, 0],
    [10, 1], // untilUnitsSold is exclusive: the 11th unit is the first of tier 1
    [39, 1],
    [40, 2],
    [100000, 2],
  ])('after %i units sold → tier %i', (unitsSold, tier) => {
    expect(tierIndexFor(ladder, unitsSold)).toBe(tier);
  });

  it('a single unlimited tier is always in force', () => {
    expect(tierIndexFor([{ unitPrice: 100 }], 5)).toBe(0);
  });
});

describe('basketPercentFor', () => {
  const baskets = [
    { minQuantity: 3, percentOff: 10 },
    { minQuantity: 5, percentOff: 15 },
  ];
  it.each([
    [1, 0],
    [2, 0],
    [3, 10],
    [4, 10],
    [5, 15],
    [9, 15],
  ])('%i units → %i %% off (highest minQuantity ≤ quantity)', (quantity, percent) => {
    expect(basketPercentFor(baskets, quantity)).toBe(percent);
  });

  it('no basket tiers → 0', () => {
    expect(basketPercentFor(undefined, 10)).toBe(0);
  });
});

describe('discountedTotal (round half up, exact integers)', () => {
  it.each([
    // unitPrice, qty, basket%, pickup%, expected, hand computation
    [2500, 3, 10, 10, 6075], // 7 500 × 0.9 × 0.9 = 6 075
    [350, 1, 30, 10, 221], // 350 × 0.7 × 0.9 = 220.5 → 221 (floats give 220.4999… → 220)
    [1005, 1, 0, 10, 905], // 904.5 → 905 (half rounds up)
    [1001, 1, 0, 10, 901], // 900.9 → 901
    [1006, 1, 0, 10, 905], // 905.4 → 905
    [999, 1, 10, 10, 809], // 999 × 0.81 = 809.19 → 809
    [1050, 1, 10, 10, 851], // 1 050 × 0.81 = 850.5 → 851
    [2500, 4, 0, 0, 10000],
    [2500, 2, 100, 0, 0], // 100 % off is free
  ])('%i × %i − %i %% − %i %% = %i', (unitPrice, quantity, basket, pickup, expected) => {
    expect(discountedTotal(unitPrice, quantity, basket, pickup)).toBe(expected);
  });

  it('stays exact beyond 2^53 in the intermediate product (BigInt path)', () => {
    // 3 000 000 000 015 × 0.81 = 2 430 000 000 012.15 → 2 430 000 000 012; numerator 2.43e16 > 2^53.
    expect(discountedTotal(1_000_000_000_005, 3, 10, 10)).toBe(2_430_000_000_012);
    // An exact half: 1 111 111 111 125 × 9 × 0.9 = 9 000 000 000 112.5 → 9 000 000 000 113
    // (numerator 1 111 111 111 125 × 9 × 90 × 100 = 9.0e16 > 2^53).
    expect(discountedTotal(1_111_111_111_125, 9, 10, 0)).toBe(9_000_000_000_113);
  });
});

describe('priceOrder', () => {
  it('prices the whole order from the tier in force before it', () => {
    // 9 sold before → tier 0; 3 units → basket 10 %; pickup 10 %: 6 075.
    expect(priceOrder(ladder, [{ minQuantity: 3, percentOff: 10 }], 9, 3, 10)).toEqual({
      tier: 0,
      unitPrice: 2500,
      basketPercentOff: 10,
      pickupPercentOff: 10,
      total: 6075,
    });
  });

  it('uses the next tier from exactly untilUnitsSold', () => {
    expect(priceOrder(ladder, undefined, 10, 1, 0)).toEqual({
      tier: 1,
      unitPrice: 3000,
      basketPercentOff: 0,
      pickupPercentOff: 0,
      total: 3000,
    });
  });
});
