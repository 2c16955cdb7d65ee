import { ProblemException } from '@dropline/platform';

const SKU = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Validates a `{ sku: units }` map (class-validator has no map-of-int rule). */
export function unitsMap(value: Record<string, unknown>, field: string, allowEmpty = false): Record<string, number> {
  const entries = Object.entries(value);
  if ((!allowEmpty && entries.length === 0) || entries.length > 200)
    throw new ProblemException(400, 'VALIDATION.FAILED', `${field} must name ${allowEmpty ? 0 : 1}-200 SKUs`, { field });
  for (const [sku, units] of entries) {
    if (!SKU.test(sku)) throw new ProblemException(400, 'VALIDATION.FAILED', `${field} has an invalid SKU`, { field: `${field}.${sku}` });
    if (!Number.isInteger(units) || (units as number) < 0 || (units as number) > 10_000_000) {
      throw new ProblemException(400, 'VALIDATION.FAILED', `${field}.${sku} must be a whole number of units`, { field: `${field}.${sku}` });
    }
  }
  return value as Record<string, number>;
}
