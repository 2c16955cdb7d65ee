import { applyDecorators } from '@nestjs/common';
import { IsString, Length, Matches } from 'class-validator';

/**
 * Free text the domain stores: a string of 1..max characters that is not only whitespace
 * (the decider refuses blank text, so validation refuses it first and names the field).
 * NUL and unpaired surrogates are refused for every string by the validation pipe.
 */
export function IsText(max: number): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Length(1, max, { message: `$property must be 1-${max} characters` }),
    Matches(/\S/, { message: '$property must not be blank' }),
  );
}
