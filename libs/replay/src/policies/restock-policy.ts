/**
 * A restock policy is a pure function from a SKU's daily demand and one point of the grid to
 * two levels: reorder when the inventory position (on hand + on order) is at or below
 * `threshold`, and then order up to `target`. The simulator is shared, so a new policy is
 * one file exporting one of these plus one line in policies/index.ts.
 */
export interface RestockPolicy {
  /** Stable name used on the command line and in the JSON output (`reorder-point`). */
  readonly name: string;
  /** One line for `--help` and the report. */
  readonly summary: string;
  /** Grid axes this policy reads besides lead time and review period. */
  readonly axes: readonly PolicyAxis[];
  levels(dailyDemand: readonly number[], params: PolicyParams): RestockLevels;
}

/** One extra grid dimension of a policy, e.g. the service level of the reorder point. */
export interface PolicyAxis {
  /** Key in PolicyParams (`serviceLevel`). */
  key: string;
  /** Command-line flag without dashes (`service-level`). */
  flag: string;
  /** Used when the flag is not given. */
  defaults: readonly number[];
  /** Throws with a plain-language message when a value cannot be used. */
  validate(value: number): void;
}

/** A point of the grid: lead time and review period (days) for every policy, plus the policy's own axes. */
export interface PolicyParams {
  leadTimeDays: number;
  reviewDays: number;
  [axis: string]: number;
}

/** What a policy decides for one SKU. */
export interface RestockLevels {
  /** Reorder when inventory position ≤ threshold. */
  threshold: number;
  /** Order up to this level (target − position, rounded up to whole units). */
  target: number;
  /** How the numbers came about, for the report (`d̄·L + z·σ·√L = …`). */
  explanation: string;
}

/** Mean of a series (0 for an empty one). */
export function meanOf(values: readonly number[]): number {
  if (values.length === 0) return 0;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
