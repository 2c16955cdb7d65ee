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

/** Early access before the public window opens: the shorthand for one `repeat-customers` phase. */
export interface EarlyAccess {
  opensAt: string;
  audience: EarlyAccessAudience;
}

/**
 * Who may buy in an access phase: `members` (customer ids ops granted per drop), `repeat-customers`
 * (bought in another drop), `city` (token `city` claim equal to the drop's city, or a pickup at one
 * of the drop's locations), `everyone` (the public window).
 */
export const PHASE_AUDIENCES = ['members', 'repeat-customers', 'city', 'everyone'] as const;
/** One of PHASE_AUDIENCES. */
export type PhaseAudience = (typeof PHASE_AUDIENCES)[number];

/** At most this many access phases per drop, the public one included. */
export const MAX_ACCESS_PHASES = 8;
/** Name of the public phase when the definition does not name it. */
export const PUBLIC_PHASE_NAME = 'public';
/** Name of the phase the `earlyAccess` shorthand declares. */
export const EARLY_ACCESS_PHASE_NAME = 'early-access';
const PHASE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * One step of a drop's access, in order. `allocation` reserves units per SKU for this phase:
 * they count against the cap, no earlier phase can buy them, this phase sells at most them
 * (plus what the phase before it left of its own allocation), and what it leaves rolls into the
 * next phase when that one opens. A SKU a phase does not allocate sells from the unreserved rest.
 */
export interface AccessPhase {
  name: string;
  opensAt: string;
  audience: PhaseAudience;
  allocation?: Record<string, number>;
}

/** What a drop does when its last unit sells. */
export const SELL_OUT_BEHAVIOURS = ['stay-open', 'close'] as const;
/**
 * `stay-open` (default): the window stays open until closesAt, cancellations free units that can
 * be bought again. `close`: the window closes at sell-out and the tipping point is decided at once.
 */
export type SellOutBehaviour = (typeof SELL_OUT_BEHAVIOURS)[number];

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
  /** Access phases before the public window; the last one may be the public window itself (audience everyone). */
  phases?: AccessPhase[];
  onSellOut?: SellOutBehaviour;
  perCustomerLimit: number;
  minimumOrderQuantity: number;
  production: ProductionPlan;
  pickupLocations?: PickupLocation[];
  returnWindowDays: number;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The instants a stored definition holds: RFC 3339 date-times, seconds and offset included (the
 * events' contract, AsyncAPI `format: date-time`). A definition given with the minutes-only form
 * (`2026-12-01T10:00Z`) is stored with `:00` added (canonicalDefinition), and one stored so by an
 * earlier engine is read so (upcast), so every event publishes the contract's form.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DATE_TIME_RULE = 'must be a date-time with an offset (RFC 3339), e.g. 2026-12-01T10:00:00Z';
const MINUTES_ONLY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(Z|[+-]\d{2}:\d{2})$/;

/** `value` with `:00` added when it is an instant without seconds; anything else unchanged. */
export function canonicalInstant<T>(value: T): T {
  if (typeof value !== 'string') return value;
  const m = MINUTES_ONLY.exec(value);
  return (m ? `${m[1]}:00${m[2]}` : value) as T;
}

/**
 * The definition with its instants (window, earlyAccess, phases) in RFC 3339 form
 * (canonicalInstant); the same object when they already are, so reading costs nothing then.
 */
export function canonicalDefinition<D>(definition: D): D {
  const d = definition as Partial<DropDefinition> | null | undefined;
  if (!d || typeof d !== 'object') return definition;
  const window = d.window && typeof d.window === 'object' ? d.window : undefined;
  const opensAt = canonicalInstant(window?.opensAt);
  const closesAt = canonicalInstant(window?.closesAt);
  const earlyAccess = d.earlyAccess && typeof d.earlyAccess === 'object' ? d.earlyAccess : undefined;
  const earlyOpensAt = canonicalInstant(earlyAccess?.opensAt);
  const phases = Array.isArray(d.phases) ? d.phases : undefined;
  const phaseOpensAt = phases?.map((p) => (p && typeof p === 'object' ? canonicalInstant(p.opensAt) : undefined));
  const changed =
    opensAt !== window?.opensAt ||
    closesAt !== window?.closesAt ||
    earlyOpensAt !== earlyAccess?.opensAt ||
    (phases?.some((p, i) => p && typeof p === 'object' && phaseOpensAt![i] !== p.opensAt) ?? false);
  if (!changed) return definition;
  return {
    ...d,
    ...(window ? { window: { ...window, opensAt, closesAt } } : {}),
    ...(earlyAccess ? { earlyAccess: { ...earlyAccess, opensAt: earlyOpensAt } } : {}),
    ...(phases ? { phases: phases.map((p, i) => (p && typeof p === 'object' ? { ...p, opensAt: phaseOpensAt![i] } : p)) } : {}),
  } as D;
}

/** A definition's instant (DATE_TIME), or `invalid` naming `field`. */
function definedInstant(value: unknown, field: string): number {
  const ms = typeof value === 'string' && DATE_TIME.test(value) ? parseInstant(value) : Number.NaN;
  if (Number.isNaN(ms)) invalid(field, DATE_TIME_RULE);
  return ms;
}

// The last instant parsed and its value: every command parses its `now` (PlacePreOrder against the
// window), and the commands of a busy moment share it (the same millisecond, the same clock string).
let lastInstant: string | undefined;
let lastInstantMs = Number.NaN;

/** Parses an ISO-8601 instant with an explicit offset; NaN when it is not one. */
export function parseInstant(value: unknown): number {
  if (value === lastInstant && lastInstant !== undefined) return lastInstantMs;
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) return Number.NaN;
  const ms = Date.parse(value);
  lastInstant = value;
  lastInstantMs = ms;
  return ms;
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
  const opensAt = definedInstant(d.window.opensAt, 'window.opensAt');
  const closesAt = definedInstant(d.window.closesAt, 'window.closesAt');
  if (closesAt <= opensAt) invalid('window.closesAt', 'must be after window.opensAt');
  // A window that has already closed would open and close at once: nobody could ever buy.
  if (now !== undefined && closesAt <= parseInstant(now)) invalid('window.closesAt', 'has already passed');

  if (d.earlyAccess !== undefined) {
    if (!isObject(d.earlyAccess)) invalid('earlyAccess', 'must be an object');
    const earlyOpensAt = definedInstant(d.earlyAccess.opensAt, 'earlyAccess.opensAt');
    if (earlyOpensAt >= opensAt) invalid('earlyAccess.opensAt', 'must be before window.opensAt');
    if (d.earlyAccess.audience !== 'repeat-customers') invalid('earlyAccess.audience', 'must be repeat-customers');
  }
  if (d.phases !== undefined) {
    if (d.earlyAccess !== undefined) invalid('phases', 'cannot be given with earlyAccess (earlyAccess is the shorthand for one phase)');
    validatePhases(d.phases, { opensAt, skus: d.variants as DropVariant[], city: d.city });
  }
  if (d.onSellOut !== undefined && !(SELL_OUT_BEHAVIOURS as readonly unknown[]).includes(d.onSellOut))
    invalid('onSellOut', `must be one of ${SELL_OUT_BEHAVIOURS.join('|')}`);

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

function validatePhases(phases: unknown, drop: { opensAt: number; skus: DropVariant[]; city: unknown }): void {
  if (!Array.isArray(phases) || phases.length === 0) invalid('phases', 'must list at least one phase');
  // The public window counts too: when it is not listed last, accessPhasesOf appends it.
  const last: unknown = phases[phases.length - 1];
  const listsPublic = isObject(last) && last.audience === 'everyone';
  if (phases.length + (listsPublic ? 0 : 1) > MAX_ACCESS_PHASES)
    invalid('phases', `must list at most ${MAX_ACCESS_PHASES} phases, the public window included`);
  const caps = new Map(drop.skus.map((v) => [v.sku, v.editionCap]));
  const reserved = new Map<string, number>();
  const names = new Set<string>();
  let previousOpensAt = Number.NEGATIVE_INFINITY;
  phases.forEach((p: unknown, i: number) => {
    const at = `phases[${i}]`;
    if (!isObject(p)) invalid(at, 'must be an object');
    if (typeof p.name !== 'string' || !PHASE_NAME.test(p.name)) invalid(`${at}.name`, 'must be 1-32 lower-case letters, digits or -');
    if (names.has(p.name)) invalid(`${at}.name`, `duplicates ${p.name}`);
    names.add(p.name);
    if (!(PHASE_AUDIENCES as readonly unknown[]).includes(p.audience))
      invalid(`${at}.audience`, `must be one of ${PHASE_AUDIENCES.join('|')}`);
    const phaseOpensAt = definedInstant(p.opensAt, `${at}.opensAt`);
    if (phaseOpensAt <= previousOpensAt) invalid(`${at}.opensAt`, 'must be after the phase before it');
    previousOpensAt = phaseOpensAt;
    if (p.audience === 'everyone') {
      // The public window is the last phase: listing it only names it.
      if (i !== phases.length - 1) invalid(`${at}.audience`, 'everyone is the public window: only the last phase may have it');
      if (phaseOpensAt !== drop.opensAt) invalid(`${at}.opensAt`, 'must equal window.opensAt (the public window)');
      if (p.allocation !== undefined) invalid(`${at}.allocation`, 'must be absent on the public window (it sells everything left)');
    } else if (phaseOpensAt >= drop.opensAt) invalid(`${at}.opensAt`, 'must be before window.opensAt');
    if (p.audience === 'city' && !isNonEmptyString(drop.city)) invalid(`${at}.audience`, 'city needs the drop to name its city');
    if (p.allocation === undefined) return;
    if (!isObject(p.allocation) || Object.keys(p.allocation).length === 0) invalid(`${at}.allocation`, 'must map SKUs to units');
    for (const [sku, units] of Object.entries(p.allocation)) {
      const cap = caps.get(sku);
      if (cap === undefined) invalid(`${at}.allocation.${sku}`, 'names no variant of the drop');
      if (!isNonNegativeInt(units)) invalid(`${at}.allocation.${sku}`, 'must be a non-negative integer');
      const total = (reserved.get(sku) ?? 0) + units;
      if (total > cap) invalid(`${at}.allocation.${sku}`, `reserves ${total} units in all, above the edition cap (${cap})`);
      reserved.set(sku, total);
    }
  });
  if (!names.has(PUBLIC_PHASE_NAME) || phases[phases.length - 1].audience === 'everyone') return;
  invalid('phases', `must not name a phase ${PUBLIC_PHASE_NAME} unless it is the last one, with audience everyone`);
}

/** One phase of a drop's access as the decider uses it (the public window last). */
export interface PhasePlan {
  name: string;
  opensAt: string;
  opensAtMs: number;
  audience: PhaseAudience;
  allocation?: Readonly<Record<string, number>>;
}

/**
 * The access phases of a valid definition, the public window last: `phases` as given (with the
 * public one appended when not listed), the `earlyAccess` shorthand as one repeat-customers phase,
 * or the public window alone.
 */
export function accessPhasesOf(definition: DropDefinition): PhasePlan[] {
  const plans: PhasePlan[] = [];
  const declared: AccessPhase[] =
    definition.phases ??
    (definition.earlyAccess
      ? [{ name: EARLY_ACCESS_PHASE_NAME, opensAt: definition.earlyAccess.opensAt, audience: 'repeat-customers' }]
      : []);
  for (const phase of declared) {
    plans.push({
      name: phase.name,
      opensAt: phase.opensAt,
      opensAtMs: parseInstant(phase.opensAt),
      audience: phase.audience,
      ...(phase.allocation ? { allocation: phase.allocation } : {}),
    });
  }
  if (plans.length === 0 || plans[plans.length - 1].audience !== 'everyone') {
    const opensAt = definition.window.opensAt;
    plans.push({ name: PUBLIC_PHASE_NAME, opensAt, opensAtMs: parseInstant(opensAt), audience: 'everyone' });
  }
  return plans;
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
