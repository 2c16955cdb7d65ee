import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { Matches, ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';
import { ProblemException } from './problem';
import { PLAIN_TEXT } from './query-params';

const EACH_IS_OBJECT = 'eachIsObject';
const EACH_MATCHES = 'eachMatches';
const COUNT_MAP = 'countMap';
/** Constraints whose message names the part of the property that failed (`visits[3] …`, `allocation.HH-M-NAVY …`). */
export const NAMES_PART: ReadonlySet<string> = new Set([EACH_IS_OBJECT, EACH_MATCHES, COUNT_MAP]);

/** The `[3]` or `.key` a part-naming message puts right after the property's name, if any. */
export function partNamed(property: string, message: string): string | undefined {
  if (!message.startsWith(property)) return undefined;
  return /^(\[\d+\]|\.[^\s.[\]]+) /.exec(message.slice(property.length))?.[1];
}

/** The field and message of the first error class-validator reports, as the problem names them. */
export function firstFailure(errors: ValidationError[], prefix = ''): { field: string; message: string } | undefined {
  for (const e of errors) {
    let field = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    if (e.constraints && Object.keys(e.constraints).length > 0) {
      const [name, message] = Object.entries(e.constraints)[0];
      // EachIsObject, EachMatches and IsCountMap name the element or entry: the field is that part.
      const part = NAMES_PART.has(name) ? partNamed(e.property, message) : undefined;
      if (part) field += part;
      return { field, message };
    }
    const nested = firstFailure(e.children ?? [], field);
    if (nested) return nested;
  }
  return undefined;
}

/** A NUL, or a UTF-16 surrogate that is not half of a pair. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` holds a character no event can store (see UNSTORABLE). */
export function hasUnstorableCharacter(text: string): boolean {
  return UNSTORABLE.test(text);
}

/**
 * The path of the first string (value or object key) that holds a NUL or a lone surrogate.
 * PostgreSQL refuses both in jsonb, and an event that cannot be stored once failed a whole
 * batch of strangers' pre-orders: every string of every input is checked here, whatever
 * its DTO says. Bodies are at most 32 levels deep (the JSON parser's limit), so recursion is safe.
 */
export function findUnstorableText(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return hasUnstorableCharacter(value) ? path || 'body' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const field = path ? `${path}.${key}` : key;
      if (hasUnstorableCharacter(key)) return field;
      const found = findUnstorableText(item, field);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Before any DTO rule, every string of a body, query or path argument is checked for characters
 * that cannot be stored: 400 VALIDATION.FAILED naming the first such string.
 */
export function refuseUnstorableText(value: unknown, { type, data }: ArgumentMetadata): void {
  if (type !== 'body' && type !== 'query' && type !== 'param') return;
  const found = data && typeof value === 'string' ? (hasUnstorableCharacter(value) ? data : undefined) : findUnstorableText(value);
  if (found) {
    throw new ProblemException(400, 'VALIDATION.FAILED', `${found} must not contain a NUL character or an unpaired surrogate`, {
      field: found,
    });
  }
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every element of the array is an object (not an array, not a scalar). Put it next to
 * `@ValidateNested({ each: true })`, which validates an array element that is itself an
 * array as a list of nested objects — so `[[]]` passed as an empty list of one. The
 * failure names the element: field `visits[0]`.
 */
export function EachIsObject(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: EACH_IS_OBJECT,
      validator: {
        validate: (value: unknown) => !Array.isArray(value) || value.every(isPlainObject),
        defaultMessage: (args?: ValidationArguments) => {
          const index = Array.isArray(args?.value) ? args.value.findIndex((v) => !isPlainObject(v)) : 0;
          return `${args?.property}[${index}] must be an object`;
        },
      },
    },
    options,
  );
}

/**
 * Every element of the array is a string matching `pattern`; the failure names the element
 * (field `customerIds[7]`) and says `rule` (`customerIds[7] must be <rule>`). `@Matches({ each })`
 * would only name the array.
 */
export function EachMatches(pattern: RegExp, rule: string, options?: ValidationOptions): PropertyDecorator {
  const ok = (v: unknown) => typeof v === 'string' && pattern.test(v);
  return ValidateBy(
    {
      name: EACH_MATCHES,
      validator: {
        validate: (value: unknown) => !Array.isArray(value) || value.every(ok),
        defaultMessage: (args?: ValidationArguments) => {
          const index = Array.isArray(args?.value) ? args.value.findIndex((v) => !ok(v)) : 0;
          return `${args?.property}[${index}] must be ${rule}`;
        },
      },
    },
    options,
  );
}

/** What IsCountMap accepts: keys matching `key`, whole-number values in [min, max], minEntries..maxEntries entries. */
export interface CountMapRule {
  key: RegExp;
  /** What a key must be, for the message (`1-64 letters, digits, - or _`). */
  keyRule: string;
  min: number;
  max: number;
  minEntries: number;
  maxEntries: number;
}

/** The first way `value` breaks `rule`, as a message that starts with the property (and the entry at fault), or undefined. */
function countMapProblem(value: unknown, property: string, rule: CountMapRule): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${property} must be an object of whole numbers by key`;
  const entries = Object.entries(value);
  if (entries.length < rule.minEntries || entries.length > rule.maxEntries)
    return `${property} must have ${rule.minEntries}-${rule.maxEntries} entries`;
  for (const [key, units] of entries) {
    // A malformed key is not repeated in the field: it may be anything the caller sent.
    if (!rule.key.test(key)) return `${property} has a key that is not ${rule.keyRule}`;
    if (!Number.isSafeInteger(units) || (units as number) < rule.min || (units as number) > rule.max)
      return `${property}.${key} must be a whole number ${rule.min}-${rule.max}`;
  }
  return undefined;
}

/**
 * A map of counts, e.g. `{ sku: units }` (class-validator has no map rule): a plain object whose
 * keys match `rule.key` and whose values are whole numbers in range. The failure names the entry
 * whose value is wrong (field `allocation.HH-M-NAVY`), or the map itself.
 */
export function IsCountMap(rule: CountMapRule, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: COUNT_MAP,
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => countMapProblem(value, args?.property ?? '', rule) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          countMapProblem(args?.value, args?.property ?? '', rule) ?? `${args?.property} is not a map of counts`,
      },
    },
    options,
  );
}

/** Free text (names, reasons, query values): no control characters (NUL included), no unpaired surrogates. */
export function IsPlainText(property: string, options?: ValidationOptions): PropertyDecorator {
  return Matches(PLAIN_TEXT, { message: `${property} must not contain control characters or unpaired surrogates`, ...options });
}

/**
 * A whole number in a query string: decimal digits, with an optional minus. `@Type(() => Number)`
 * would read `''` and `' '` as 0, `0x10` as 16 and `1e2` as 100; here anything else stays a
 * string, and the @IsInt() next to it refuses it. A negative number becomes one, so the @Min()
 * next to it answers (`limit must not be less than 1`), not the type check.
 */
export function QueryInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value));
}
