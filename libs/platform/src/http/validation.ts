import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { Matches, ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';
import { ProblemException } from './problem';
import { PLAIN_TEXT } from './query-params';

const EACH_IS_OBJECT = 'eachIsObject';

function firstFailure(errors: ValidationError[], prefix = ''): { field: string; message: string } | undefined {
  for (const e of errors) {
    let field = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    if (e.constraints && Object.keys(e.constraints).length > 0) {
      const message = Object.values(e.constraints)[0];
      // EachIsObject names the element (`visits[3] must be …`): the field is that element.
      const element = e.constraints[EACH_IS_OBJECT] && /^\S*?(\[\d+\]) /.exec(message);
      if (element) field += element[1];
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
 * class-validator pipe: strips nothing silently — unknown fields are errors — and names the
 * first bad field. Before any DTO rule, every string of the body, query and path is checked
 * for characters that cannot be stored.
 */
class DroplineValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const found =
        metadata.data && typeof value === 'string'
          ? hasUnstorableCharacter(value)
            ? metadata.data
            : undefined
          : findUnstorableText(value);
      if (found) {
        throw new ProblemException(400, 'VALIDATION.FAILED', `${found} must not contain a NUL character or an unpaired surrogate`, {
          field: found,
        });
      }
    }
    return super.transform(value, metadata);
  }
}

export function validationPipe(): ValidationPipe {
  return new DroplineValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const failure = firstFailure(errors) ?? { field: 'body', message: 'invalid input' };
      return new ProblemException(400, 'VALIDATION.FAILED', failure.message, { field: failure.field });
    },
  });
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

/** Free text (names, reasons, query values): no control characters (NUL included), no unpaired surrogates. */
export function IsPlainText(property: string, options?: ValidationOptions): PropertyDecorator {
  return Matches(PLAIN_TEXT, { message: `${property} must not contain control characters or unpaired surrogates`, ...options });
}

/**
 * A whole number in a query string: decimal digits only. `@Type(() => Number)` would read
 * `''` and `' '` as 0, `0x10` as 16 and `1e2` as 100; here anything but digits stays a
 * string, and the @IsInt() next to it refuses it.
 */
export function QueryInt(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value));
}
