import type { SkuSeries } from './campaign/campaign-series';
import type { RestockLevels } from './policies/restock-policy';

/** One restock the policy would have triggered. Days are indexes into the series (day 0 = firstDay). */
export interface SimulatedRestock {
  orderedDay: number;
  arrivalDay: number;
  units: number;
}

/** What one policy would have done to one SKU. */
export interface SimulationOutcome {
  stockOutDays: number;
  unmetUnits: number;
  /** Units on hand at the end of the last day plus units ordered that had not arrived yet. */
  excessUnits: number;
  restocks: SimulatedRestock[];
  restockUnits: number;
  /** Mean over days of (end-of-day on hand ÷ mean daily demand); null when there was no demand. */
  avgDaysOfCover: number | null;
  /** End-of-day on hand per day, when asked for (the report draws it). */
  onHand?: number[];
}

// Guards Math.ceil against float noise: a target of 27.000000000000004 over a position of 20 is 7 units, not 8.
const EPSILON = 1e-9;

/**
 * Replays one SKU's history day by day against fixed restock levels. Each UTC day t:
 *   1. restocks due on day t arrive (ordered on day t − L);
 *   2. that day's cancellations and restockable returns go back on hand;
 *   3. that day's demand (accepted + turned away) is served from on hand; the rest is unmet
 *      and the day is a stock-out day;
 *   4. on review days (t = 0, R, 2R, …) at the end of the day: when on hand + on order ≤ threshold,
 *      order ⌈target − (on hand + on order)⌉ units, arriving on day t + L.
 * Cancellations of demand the simulation left unmet still return units: the file records the
 * cancellation, not whether it would have happened. Tests compute this by hand.
 */
export function simulate(
  series: SkuSeries,
  levels: RestockLevels,
  leadTimeDays: number,
  reviewDays: number,
  keepOnHand = false,
): SimulationOutcome {
  const days = series.days;
  const { demand, cancelled, returned } = series;
  const { threshold, target } = levels;
  const arrivals = new Float64Array(days + leadTimeDays + 1);
  const onHandByDay = keepOnHand ? new Array<number>(days) : undefined;
  const restocks: SimulatedRestock[] = [];
  let onHand = series.initialStock;
  let onOrder = 0;
  let stockOutDays = 0;
  let unmetUnits = 0;
  let restockUnits = 0;
  let onHandSum = 0;
  let demandSum = 0;
  for (let t = 0; t < days; t++) {
    const arriving = arrivals[t];
    if (arriving !== 0) {
      onHand += arriving;
      onOrder -= arriving;
    }
    onHand += cancelled[t] + returned[t];
    const wanted = demand[t];
    demandSum += wanted;
    const served = wanted < onHand ? wanted : onHand;
    onHand -= served;
    if (wanted > served) {
      stockOutDays++;
      unmetUnits += wanted - served;
    }
    if (t % reviewDays === 0) {
      const position = onHand + onOrder;
      if (position <= threshold) {
        const units = Math.ceil(target - position - EPSILON);
        if (units > 0) {
          arrivals[t + leadTimeDays] += units;
          onOrder += units;
          restockUnits += units;
          restocks.push({ orderedDay: t, arrivalDay: t + leadTimeDays, units });
        }
      }
    }
    onHandSum += onHand;
    if (onHandByDay) onHandByDay[t] = onHand;
  }
  const meanDemand = days === 0 ? 0 : demandSum / days;
  return {
    stockOutDays,
    unmetUnits,
    excessUnits: onHand + onOrder,
    restocks,
    restockUnits,
    avgDaysOfCover: meanDemand > 0 ? onHandSum / days / meanDemand : null,
    ...(onHandByDay ? { onHand: onHandByDay } : {}),
  };
}
