import { DomainError } from '../decider';

/** Input of reorderPoint. */
export interface ReorderPointInput {
  /** Units sold per UTC day of the window, zero days included (see dailySeries). */
  dailyUnits: readonly number[];
  /** Lead time L in days. */
  leadTimeDays: number;
  /** Probability of not running out during the lead time, in (0, 1), e.g. 0.95. */
  serviceLevel: number;
}

/** reorderPoint's answer, with its inputs beside it so a stored recommendation explains itself. */
export interface ReorderPointResult {
  dailyUnits: number[];
  leadTimeDays: number;
  serviceLevel: number;
  days: number;
  /** d̄, the mean of dailyUnits (0 for no days). */
  meanDailyUnits: number;
  /** σ, the SAMPLE standard deviation (n − 1); 0 when fewer than 2 days. */
  stdDevDailyUnits: number;
  /** z = Φ⁻¹(serviceLevel). */
  z: number;
  /** z · σ · √L. */
  safetyStock: number;
  /** d̄ · L + z · σ · √L. */
  reorderPoint: number;
}

function invalid(field: string, message: string): never {
  throw new DomainError('RESTOCK.INVALID_INPUT', `${field} ${message}`, { field });
}

// Acklam's rational approximation of the inverse normal CDF: relative error below 1.15e-9,
// well inside the 1e-6 the read model and the analysts' replay need to agree on.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Φ⁻¹(p): the z with P(Z ≤ z) = p for a standard normal Z; p in (0, 1). */
export function inverseStandardNormal(p: number): number {
  if (!(p > 0 && p < 1)) invalid('serviceLevel', 'must be strictly between 0 and 1');
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  );
}

/** Reorder point d̄·L + z·σ·√L from daily demand, lead time and service level. */
export function reorderPoint(input: ReorderPointInput): ReorderPointResult {
  const { dailyUnits, leadTimeDays, serviceLevel } = input;
  if (!Array.isArray(dailyUnits)) invalid('dailyUnits', 'must be an array');
  dailyUnits.forEach((u, i) => {
    if (!Number.isFinite(u) || u < 0) invalid(`dailyUnits[${i}]`, 'must be a non-negative number');
  });
  if (!Number.isFinite(leadTimeDays) || leadTimeDays < 0) invalid('leadTimeDays', 'must be a non-negative number');
  const z = inverseStandardNormal(serviceLevel);

  const n = dailyUnits.length;
  const mean = n === 0 ? 0 : dailyUnits.reduce((sum, u) => sum + u, 0) / n;
  // Two passes (mean, then squared deviations) avoid the cancellation of Σx² − n·x̄².
  const stdDev = n < 2 ? 0 : Math.sqrt(dailyUnits.reduce((sum, u) => sum + (u - mean) ** 2, 0) / (n - 1));
  const safetyStock = z * stdDev * Math.sqrt(leadTimeDays);
  return {
    dailyUnits: [...dailyUnits],
    leadTimeDays,
    serviceLevel,
    days: n,
    meanDailyUnits: mean,
    stdDevDailyUnits: stdDev,
    z,
    safetyStock,
    reorderPoint: mean * leadTimeDays + safetyStock,
  };
}

/** One sale (or any unit count) at an instant. */
export interface UnitsAt {
  at: string;
  units: number;
}

/** dailySeries' answer: one bucket per UTC day touched by [windowStart, windowEnd). */
export interface DailySeries {
  windowStart: string;
  windowEnd: string;
  /** `YYYY-MM-DD` of each bucket, ascending. */
  days: string[];
  dailyUnits: number[];
  /** Units whose instant fell outside [windowStart, windowEnd), left out of the buckets. */
  unitsOutsideWindow: number;
}

const DAY_MS = 86_400_000;

function instant(value: string, field: string): number {
  const ms = Date.parse(value);
  if (typeof value !== 'string' || Number.isNaN(ms)) invalid(field, 'must be an ISO-8601 instant');
  return ms;
}

/**
 * Buckets units by UTC day over [windowStart, windowEnd), including days without sales:
 * a drop window of 10:00 Dec 1 → 10:00 Dec 8 gives 8 buckets (Dec 1 … Dec 8, first and last partial).
 */
export function dailySeries(points: readonly UnitsAt[], windowStart: string, windowEnd: string): DailySeries {
  const startMs = instant(windowStart, 'windowStart');
  const endMs = instant(windowEnd, 'windowEnd');
  if (endMs <= startMs) invalid('windowEnd', 'must be after windowStart');
  const firstDay = Math.floor(startMs / DAY_MS);
  const lastDay = Math.floor((endMs - 1) / DAY_MS);
  const dailyUnits = new Array<number>(lastDay - firstDay + 1).fill(0);
  const days = dailyUnits.map((_, i) => new Date((firstDay + i) * DAY_MS).toISOString().slice(0, 10));
  let unitsOutsideWindow = 0;
  points.forEach((point, i) => {
    const ms = instant(point.at, `points[${i}].at`);
    if (!Number.isFinite(point.units) || point.units < 0) invalid(`points[${i}].units`, 'must be a non-negative number');
    if (ms < startMs || ms >= endMs) {
      unitsOutsideWindow += point.units;
      return;
    }
    dailyUnits[Math.floor(ms / DAY_MS) - firstDay] += point.units;
  });
  return { windowStart, windowEnd, days, dailyUnits, unitsOutsideWindow };
}
