import { DomainError } from '../decider';
import { isCurrencyCode } from './drop.currencies';

/** Sales channels a drop can be sold through. */
export const SALES_CHANNELS = ['web', 'app', 'popup', 'kiosk'] as const;
/** One of SALES_CHANNELS. */
export type SalesChannel = (typeof SALES_CHANNELS)[number];

/** One size/colour of the product, limited to `editionCap` units for the whole drop. */
export interface DropVariant {
  sku: string;
  size: string;
  colour: string;
  editionCap: number;
}

/** A price step of the ladder; the last tier has no `untilUnitsSold` (unlimited). Prices are integer minor units. */
export interface PriceTier {
  untilUnitsSold?: number;
  unitPrice: number;
}

/** Orders of at least `minQuantity` units get `percentOff` (integer 0..100). */
export interface BasketTier {
  minQuantity: number;
  percentOff: number;
}

/** Pre-order window, ISO-8601 instants. */
export interface DropWindow {
  opensAt: string;
  closesAt: string;
}

/** Audiences allowed into early access. */
export type EarlyAccessAudience = 'repeat-customers';

/** Early access before the public window opens. */
export interface EarlyAccess {
  opensAt: string;
  audience: EarlyAccessAudience;
}

/** Where and how fast the drop is produced once it tips. */
export interface ProductionPlan {
  microfactoryId: string;
  leadTimeDays: number;
}

/** A pickup point; picking up earns `discountPercent` (integer 0..100). */
export interface PickupLocation {
  locationId: string;
  discountPercent: number;
}

/** The drop definition exactly as it travels in JSON (ScheduleDrop / ReviseDrop). */
export interface DropDefinition {
  name: string;
  city?: string;
  /** ISO-4217 code; every amount of the drop is integer minor units of it. */
  currency: string;
  channels: SalesChannel[];
  variants: DropVariant[];
  priceTiers: PriceTier[];
  basketTiers?: BasketTier[];
  window: DropWindow;
  earlyAccess?: EarlyAccess;
  perCustomerLimit: number;
  minimumOrderQuantity: number;
  production: ProductionPlan;
  pickupLocations?: PickupLocation[];
  returnWindowDays: number;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an ISO-8601 instant with an explicit offset; NaN when it is not one. */
export function parseInstant(value: unknown): number {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) return Number.NaN;
  return Date.parse(value);
}

function invalid(field: string, message: string): never {
  throw new DomainError('DROP.INVALID_DEFINITION', `Invalid drop definition: ${field} ${message}`, { field });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isNonNegativeInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPercent = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 100;

/**
 * Throws DROP.INVALID_DEFINITION (details.field = JSON path) at the first inconsistency.
 * The definition arrives from HTTP, so it is checked as untrusted data, not trusted types.
 */
export function validateDropDefinition(definition: DropDefinition, now?: string): void {
  const d = definition as unknown;
  if (!isObject(d)) invalid('definition', 'must be an object');
  if (!isNonEmptyString(d.name)) invalid('name', 'must be a non-empty string');
  if (d.city !== undefined && !isNonEmptyString(d.city)) invalid('city', 'must be a non-empty string when given');
  if (!isCurrencyCode(d.currency)) invalid('currency', 'must be an ISO-4217 currency code such as GBP');

  if (!Array.isArray(d.channels) || d.channels.length === 0) invalid('channels', 'must list at least one channel');
  const channels = new Set<unknown>();
  d.channels.forEach((c: unknown, i: number) => {
    if (!(SALES_CHANNELS as readonly unknown[]).includes(c)) invalid(`channels[${i}]`, `must be one of ${SALES_CHANNELS.join('|')}`);
    if (channels.has(c)) invalid(`channels[${i}]`, 'is listed twice');
    channels.add(c);
  });

  if (!Array.isArray(d.variants) || d.variants.length === 0) invalid('variants', 'must list at least one variant');
  const skus = new Set<string>();
  let totalCap = 0;
  d.variants.forEach((v: unknown, i: number) => {
    if (!isObject(v)) invalid(`variants[${i}]`, 'must be an object');
    if (!isNonEmptyString(v.sku)) invalid(`variants[${i}].sku`, 'must be a non-empty string');
    if (skus.has(v.sku)) invalid(`variants[${i}].sku`, `duplicates ${v.sku}`);
    skus.add(v.sku);
    if (!isNonEmptyString(v.size)) invalid(`variants[${i}].size`, 'must be a non-empty string');
    if (!isNonEmptyString(v.colour)) invalid(`variants[${i}].colour`, 'must be a non-empty string');
    if (!isPositiveInt(v.editionCap)) invalid(`variants[${i}].editionCap`, 'must be a positive integer');
    totalCap += v.editionCap;
  });

  if (!Array.isArray(d.priceTiers) || d.priceTiers.length === 0) invalid('priceTiers', 'must list at least one tier');
  let previousUntil = 0;
  d.priceTiers.forEach((t: unknown, i: number, all: unknown[]) => {
    if (!isObject(t)) invalid(`priceTiers[${i}]`, 'must be an object');
    if (!isPositiveInt(t.unitPrice)) invalid(`priceTiers[${i}].unitPrice`, 'must be a positive integer of minor units');
    const last = i === all.length - 1;
    if (last) {
      if (t.untilUnitsSold !== undefined) invalid(`priceTiers[${i}].untilUnitsSold`, 'must be absent on the last tier (unlimited)');
      return;
    }
    if (!isPositiveInt(t.untilUnitsSold))
      invalid(`priceTiers[${i}].untilUnitsSold`, 'must be a positive integer on every tier but the last');
    if (t.untilUnitsSold <= previousUntil) invalid(`priceTiers[${i}].untilUnitsSold`, 'must be strictly ascending');
    previousUntil = t.untilUnitsSold;
  });

  if (d.basketTiers !== undefined) {
    if (!Array.isArray(d.basketTiers)) invalid('basketTiers', 'must be an array');
    let previousMin = 0;
    d.basketTiers.forEach((t: unknown, i: number) => {
      if (!isObject(t)) invalid(`basketTiers[${i}]`, 'must be an object');
      if (!isPositiveInt(t.minQuantity)) invalid(`basketTiers[${i}].minQuantity`, 'must be a positive integer');
      if (t.minQuantity <= previousMin) invalid(`basketTiers[${i}].minQuantity`, 'must be strictly ascending');
      previousMin = t.minQuantity;
      if (!isPercent(t.percentOff)) invalid(`basketTiers[${i}].percentOff`, 'must be an integer 0..100');
    });
  }

  if (!isObject(d.window)) invalid('window', 'must be an object');
  const opensAt = parseInstant(d.window.opensAt);
  const closesAt = parseInstant(d.window.closesAt);
  if (Number.isNaN(opensAt)) invalid('window.opensAt', 'must be an ISO-8601 instant');
  if (Number.isNaN(closesAt)) invalid('window.closesAt', 'must be an ISO-8601 instant');
  if (closesAt <= opensAt) invalid('window.closesAt', 'must be after window.opensAt');
  // A window that has already closed would open and close at once: nobody could ever buy.
  if (now !== undefined && closesAt <= parseInstant(now)) invalid('window.closesAt', 'has already passed');

  if (d.earlyAccess !== undefined) {
    if (!isObject(d.earlyAccess)) invalid('earlyAccess', 'must be an object');
    const earlyOpensAt = parseInstant(d.earlyAccess.opensAt);
    if (Number.isNaN(earlyOpensAt)) invalid('earlyAccess.opensAt', 'must be an ISO-8601 instant');
    if (earlyOpensAt >= opensAt) invalid('earlyAccess.opensAt', 'must be before window.opensAt');
    if (d.earlyAccess.audience !== 'repeat-customers') invalid('earlyAccess.audience', 'must be repeat-customers');
  }

  if (!isPositiveInt(d.perCustomerLimit)) invalid('perCustomerLimit', 'must be a positive integer');
  if (!isPositiveInt(d.minimumOrderQuantity)) invalid('minimumOrderQuantity', 'must be a positive integer');
  // A MOQ above the sum of caps could never be met: the drop would be cancelled by design.
  if (d.minimumOrderQuantity > totalCap) invalid('minimumOrderQuantity', `must not exceed the total edition cap (${totalCap})`);

  if (!isObject(d.production)) invalid('production', 'must be an object');
  if (!isNonEmptyString(d.production.microfactoryId)) invalid('production.microfactoryId', 'must be a non-empty string');
  if (!isNonNegativeInt(d.production.leadTimeDays)) invalid('production.leadTimeDays', 'must be a non-negative integer');

  if (d.pickupLocations !== undefined) {
    if (!Array.isArray(d.pickupLocations)) invalid('pickupLocations', 'must be an array');
    const ids = new Set<string>();
    d.pickupLocations.forEach((p: unknown, i: number) => {
      if (!isObject(p)) invalid(`pickupLocations[${i}]`, 'must be an object');
      if (!isNonEmptyString(p.locationId)) invalid(`pickupLocations[${i}].locationId`, 'must be a non-empty string');
      if (ids.has(p.locationId)) invalid(`pickupLocations[${i}].locationId`, `duplicates ${p.locationId}`);
      ids.add(p.locationId);
      if (!isPercent(p.discountPercent)) invalid(`pickupLocations[${i}].discountPercent`, 'must be an integer 0..100');
    });
  }

  if (!isNonNegativeInt(d.returnWindowDays)) invalid('returnWindowDays', 'must be a non-negative integer');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) if (value[key] !== undefined) out[key] = canonical(value[key]);
    return out;
  }
  return value;
}

/** True when two definitions are the same JSON, ignoring key order and absent-vs-undefined keys. */
export function sameDefinition(a: DropDefinition, b: DropDefinition): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
