import type { RestockPolicy } from './restock-policy';
import { meanOf } from './restock-policy';

/**
 * Fixed days of cover: keep `cover` days of average demand beyond the lead time, no deviation term.
 *   threshold s = d̄·(L + cover)
 *   target    S = d̄·(L + cover + R)
 * Cheaper to explain than the reorder point; blind to how spiky a SKU is.
 */
export const daysOfCoverPolicy: RestockPolicy = {
  name: 'days-of-cover',
  summary: 'reorder at d̄·(L + cover days), order up to d̄·(L + cover + R)',
  axes: [
    {
      key: 'coverDays',
      flag: 'cover',
      defaults: [3, 7, 14],
      validate: (v) => {
        if (!(Number.isFinite(v) && v >= 0 && v <= 365)) throw new Error(`cover ${v} must be a number of days, 0 to 365`);
      },
    },
  ],
  levels(dailyDemand, params) {
    const mean = meanOf(dailyDemand);
    const threshold = mean * (params.leadTimeDays + params.coverDays);
    const target = mean * (params.leadTimeDays + params.coverDays + params.reviewDays);
    return {
      threshold,
      target,
      explanation: `d̄ ${mean.toFixed(2)}/day: s = d̄·(${params.leadTimeDays} + ${params.coverDays}) = ${threshold.toFixed(2)}, S = d̄·(${params.leadTimeDays} + ${params.coverDays} + ${params.reviewDays}) = ${target.toFixed(2)}`,
    };
  },
};
