import type { PreOrderPlaced } from './drop.events';
import type { BasketTier, PriceTier } from './drop.definition';

/** The price of one pre-order as it is written into PreOrderPlaced (`tier` indexes definition.priceTiers). */
export type OrderPrice = Pick<PreOrderPlaced['data'], 'tier' | 'unitPrice' | 'basketPercentOff' | 'pickupPercentOff' | 'total'>;

/**
 * Index of the tier in force when `unitsSoldBefore` units have been accepted:
 * the first tier whose untilUnitsSold is above it, else the last (unlimited) tier.
 */
export function tierIndexFor(priceTiers: readonly PriceTier[], unitsSoldBefore: number): number {
  const last = priceTiers.length - 1;
  for (let i = 0; i < last; i++) {
    const until = priceTiers[i].untilUnitsSold;
    if (until !== undefined && until > unitsSoldBefore) return i;
  }
  return last;
}

/** percentOff of the basket tier with the highest minQuantity ≤ quantity; 0 when none applies. */
export function basketPercentFor(basketTiers: readonly BasketTier[] | undefined, quantity: number): number {
  let percent = 0;
  let bestMin = -1;
  for (const tier of basketTiers ?? []) {
    if (tier.minQuantity <= quantity && tier.minQuantity > bestMin) {
      bestMin = tier.minQuantity;
      percent = tier.percentOff;
    }
  }
  return percent;
}

/**
 * round-half-up(unitPrice × quantity × (1 − basket/100) × (1 − pickup/100)) in exact integers.
 * Percents are integers, so the exact value is N / 10 000 with N an integer; rounding half up
 * is floor((N + 5 000) / 10 000). Floats would turn 350 × 0.7 × 0.9 into 220.4999… and round it down.
 */
export function discountedTotal(unitPrice: number, quantity: number, basketPercentOff: number, pickupPercentOff: number): number {
  const numerator = unitPrice * quantity * (100 - basketPercentOff) * (100 - pickupPercentOff);
  if (Number.isSafeInteger(numerator + 5000)) {
    const shifted = numerator + 5000;
    // `%` on safe integers is exact, unlike `/` followed by Math.floor near 2^53.
    return (shifted - (shifted % 10000)) / 10000;
  }
  const big = BigInt(unitPrice) * BigInt(quantity) * BigInt(100 - basketPercentOff) * BigInt(100 - pickupPercentOff);
  return Number((big + 5000n) / 10000n);
}

/**
 * Prices a whole order from the tier in force for the units sold BEFORE it
 * (an order that straddles a tier boundary is priced entirely at the lower tier).
 */
export function priceOrder(
  priceTiers: readonly PriceTier[],
  basketTiers: readonly BasketTier[] | undefined,
  unitsSoldBefore: number,
  quantity: number,
  pickupPercentOff: number,
): OrderPrice {
  const tier = tierIndexFor(priceTiers, unitsSoldBefore);
  const unitPrice = priceTiers[tier].unitPrice;
  const basketPercentOff = basketPercentFor(basketTiers, quantity);
  return {
    tier,
    unitPrice,
    basketPercentOff,
    pickupPercentOff,
    total: discountedTotal(unitPrice, quantity, basketPercentOff, pickupPercentOff),
  };
}
