import { ValidationError, ValidationPipe } from '@nestjs/common';
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

/** class-validator pipe: strips nothing silently — unknown fields are errors — and names the first bad field. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
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
