import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { validationPipe } from './compiled-validation';
import { EachIsObject, EachMatches, IsCountMap } from './validation';
import { referenceValidationPipe, verdictOf } from '../testing/validation-reference';

const SKU = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

class PhaseDto {
  @IsOptional()
  @IsCountMap({ key: SKU, keyRule: 'a SKU', min: 0, max: 100, minEntries: 1, maxEntries: 2 })
  allocation?: Record<string, number>;
}

class BodyDto {
  @IsOptional()
  @EachMatches(/^c-\d+$/, 'a customerId')
  customerIds?: string[];
  @IsOptional()
  @EachIsObject()
  @ValidateNested({ each: true })
  @Type(() => PhaseDto)
  phases?: PhaseDto[];
}

/**
 * The field and message the pipe answers `body` with, or 'ok'. Every case also goes through the
 * class-validator path (the reference pipe), which must agree on the verdict, field and message.
 */
async function failure(body: unknown): Promise<{ field?: string; detail?: string } | 'ok'> {
  const compiled = await verdictOf(validationPipe(), BodyDto, structuredClone(body));
  const reference = await verdictOf(referenceValidationPipe(), BodyDto, structuredClone(body));
  expect(compiled.ok ? { ok: true } : compiled).toEqual(reference.ok ? { ok: true } : reference);
  return compiled.ok ? 'ok' : { field: compiled.field, detail: compiled.message };
}

describe('part-naming validators', () => {
  it('EachMatches names the first element that does not match', async () => {
    expect(await failure({ customerIds: ['c-1', 'c-2'] })).toBe('ok');
    expect(await failure({ customerIds: ['c-1', 'bad id', 'also bad'] })).toEqual({
      field: 'customerIds[1]',
      detail: 'customerIds[1] must be a customerId',
    });
    expect(await failure({ customerIds: ['c-1', 7] })).toMatchObject({ field: 'customerIds[1]' });
  });

  it('IsCountMap names the entry whose count is wrong, nested in arrays', async () => {
    expect(await failure({ phases: [{}, { allocation: { 'HH-M': 0, 'HH-L': 100 } }] })).toBe('ok');
    expect(await failure({ phases: [{ allocation: { 'HH-M': 5 } }, { allocation: { 'HH-M': 5, 'HH-L': -1 } }] })).toEqual({
      field: 'phases[1].allocation.HH-L',
      detail: 'allocation.HH-L must be a whole number 0-100',
    });
    for (const units of [1.5, 101, '5', null, [5]])
      expect(await failure({ phases: [{ allocation: { 'HH-M': units } }] })).toMatchObject({ field: 'phases[0].allocation.HH-M' });
  });

  it('IsCountMap names the map itself for a key it will not repeat, a wrong size or a wrong type', async () => {
    expect(await failure({ phases: [{ allocation: { 'bad sku with spaces': 1 } }] })).toEqual({
      field: 'phases[0].allocation',
      detail: 'allocation has a key that is not a SKU',
    });
    expect(await failure({ phases: [{ allocation: {} }] })).toMatchObject({
      field: 'phases[0].allocation',
      detail: 'allocation must have 1-2 entries',
    });
    expect(await failure({ phases: [{ allocation: { a: 1, b: 2, c: 3 } }] })).toMatchObject({ field: 'phases[0].allocation' });
    for (const allocation of [[1], 'x', 3, true])
      expect(await failure({ phases: [{ allocation }] })).toMatchObject({ field: 'phases[0].allocation' });
  });

  it('EachIsObject still names the element that is not an object', async () => {
    expect(await failure({ phases: [{}, []] })).toMatchObject({ field: 'phases[1]' });
  });
});

describe('inputs that are not an object', () => {
  it.each([null, undefined, 5, 'text', true, [], [{}], [1, 2]])('%j gets the same answer from both paths', async (body) => {
    await failure(body);
  });
});
