import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { ProblemException } from './problem';
import { EachIsObject, EachMatches, IsCountMap, validationPipe } from './validation';

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

/** The field and message the pipe answers `body` with, or 'ok'. */
async function failure(body: unknown): Promise<{ field?: string; detail?: string } | 'ok'> {
  try {
    await validationPipe().transform(body, { type: 'body', metatype: BodyDto });
    return 'ok';
  } catch (e) {
    if (!(e instanceof ProblemException)) throw e;
    const response = e.getResponse() as { field?: string; detail?: string };
    return { field: response.field, detail: response.detail };
  }
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
