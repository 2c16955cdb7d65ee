import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { ProblemException } from '../http/problem';
import { firstFailure, refuseUnstorableText } from '../http/validation';

/**
 * The class-validator path the compiled validators replaced (Nest's ValidationPipe with the
 * options every app used), kept only as the oracle of the parity tests: http/compiled-validation.ts
 * must give the same verdict, field and message for every input. Not installed by any app:
 * whitelist + forbidNonWhitelisted (unknown fields are errors), transform, the first bad field
 * named, and every string of the body, query and path checked for characters that cannot be stored.
 */
class DroplineValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    refuseUnstorableText(value, metadata);
    return super.transform(value, metadata);
  }
}

export function referenceValidationPipe(): ValidationPipe {
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

/** A pipe's answer to one input: the value it hands on, or the field and message of its 400. */
export type PipeVerdict = { ok: true; value: unknown } | { ok: false; field?: string; message?: string };

/** Runs `input` through a pipe as a route argument of `metatype` (body by default) and reports the verdict. */
export async function verdictOf(
  pipe: { transform(value: unknown, metadata: ArgumentMetadata): unknown },
  metatype: ArgumentMetadata['metatype'],
  input: unknown,
  type: ArgumentMetadata['type'] = 'body',
  data?: string,
): Promise<PipeVerdict> {
  try {
    return { ok: true, value: await pipe.transform(input, { type, metatype, data }) };
  } catch (e) {
    if (!(e instanceof ProblemException)) throw e;
    const response = e.getResponse() as { field?: string; detail?: string };
    return { ok: false, field: response.field, message: response.detail };
  }
}
