import { reorderPoint } from '@dropline/domain';
import type { RestockPolicy } from './restock-policy';

/**
 * Reorder point with safety stock, periodic review (s, S):
 *   threshold s = d̄·L + z·σ·√L        (the read model's reorderPoint, so replay and live agree)
 *   target    S = d̄·(L+R) + z·σ·√(L+R) (the same function over the protection interval L + R)
 * σ is the sample deviation over every day of the series, zero days included.
 */
export const reorderPointPolicy: RestockPolicy = {
  name: 'reorder-point',
  summary: 'reorder at d̄·L + z·σ·√L (safety stock from the demand deviation), order up to the same over L + R days',
  axes: [
    {
      key: 'serviceLevel',
      flag: 'service-level',
      defaults: [0.9, 0.95, 0.99],
      validate: (v) => {
        if (!(v > 0 && v < 1)) throw new Error(`service level ${v} must be strictly between 0 and 1`);
      },
    },
  ],
  levels(dailyDemand, params) {
    const s = reorderPoint({ dailyUnits: dailyDemand, leadTimeDays: params.leadTimeDays, serviceLevel: params.serviceLevel });
    const S = reorderPoint({
      dailyUnits: dailyDemand,
      leadTimeDays: params.leadTimeDays + params.reviewDays,
      serviceLevel: params.serviceLevel,
    });
    return {
      threshold: s.reorderPoint,
      target: S.reorderPoint,
      explanation: `d̄ ${s.meanDailyUnits.toFixed(2)}/day, σ ${s.stdDevDailyUnits.toFixed(2)}, z ${s.z.toFixed(3)}: s = d̄·${params.leadTimeDays} + z·σ·√${params.leadTimeDays} = ${s.reorderPoint.toFixed(2)}, S = d̄·${params.leadTimeDays + params.reviewDays} + z·σ·√${params.leadTimeDays + params.reviewDays} = ${S.reorderPoint.toFixed(2)}`,
    };
  },
};
