import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ProblemException } from './problem';

function firstFailure(errors: ValidationError[], prefix = ''): { field: string; message: string } | undefined {
  for (const e of errors) {
    const field = prefix ? (/^\d+$/.test(e.property) ? `${prefix}[${e.property}]` : `${prefix}.${e.property}`) : e.property;
    if (e.constraints && Object.keys(e.constraints).length > 0) {
      return { field, message: Object.values(e.constraints)[0] };
    }
    const nested = firstFailure(e.children ?? [], field);
    if (nested) return nested;
  }
  return undefined;
}

/** A NUL, or a UTF-16 surrogate that is not half of a pair. */
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
      const found = metadata.data && typeof value === 'string' ? (hasUnstorableCharacter(value) ? metadata.data : undefined) : findUnstorableText(value);
      if (found) {
        throw new ProblemException(400, 'VALIDATION.FAILED', `${found} must not contain a NUL character or an unpaired surrogate`, { field: found });
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
