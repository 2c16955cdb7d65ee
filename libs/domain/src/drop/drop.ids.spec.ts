import { createHash } from 'node:crypto';
import {
  dropIdFromStreamName,
  dropIdOf,
  dropStreamName,
  demandStreamName,
  isValidDropId,
  preOrderIdFor,
  productionRunIdFor,
  restockStreamName,
  returnIdFor,
  visitsStreamName,
} from './drop.ids';

describe('drop ids', () => {
  it('preOrderIdFor = dropId.po.<first 20 hex of sha256(customerId \\n key)>', () => {
    const expected = createHash('sha256').update('cust-42\nkey-1').digest('hex').slice(0, 20);
    expect(preOrderIdFor('hh-1', 'cust-42', 'key-1')).toBe(`hh-1.po.${expected}`);
    expect(preOrderIdFor('hh-1', 'cust-42', 'key-1')).toMatch(/^hh-1\.po\.[0-9a-f]{20}$/);
  });

  it('preOrderIdFor is deterministic and separates customer from key', () => {
    expect(preOrderIdFor('d', 'a', 'b')).toBe(preOrderIdFor('d', 'a', 'b'));
    // Without the newline separator 'ab'+'c' and 'a'+'bc' would collide.
    expect(preOrderIdFor('d', 'ab', 'c')).not.toBe(preOrderIdFor('d', 'a', 'bc'));
  });

  it('productionRunIdFor and returnIdFor', () => {
    expect(productionRunIdFor('hh-1', 2)).toBe('hh-1.run.2');
    expect(returnIdFor('hh-1', 'hh-1.po.abc', 1)).toBe('hh-1.po.abc.ret.1');
    expect(returnIdFor('hh-1', 'po-7', 2)).toBe('hh-1.po-7.ret.2');
  });

  it('dropIdOf takes the part before the first dot', () => {
    expect(dropIdOf(preOrderIdFor('harbour-hoodie-1', 'c', 'k'))).toBe('harbour-hoodie-1');
    expect(dropIdOf('hh-1.run.3')).toBe('hh-1');
    expect(dropIdOf(returnIdFor('hh-1', 'hh-1.po.abc', 1))).toBe('hh-1');
    expect(dropIdOf('hh-1')).toBe('hh-1');
  });

  it('stream names put the category before the first hyphen, so drop ids may contain hyphens', () => {
    expect(dropStreamName('harbour-hoodie-1')).toBe('drop-harbour-hoodie-1');
    expect(dropStreamName('x').split('-')[0]).toBe('drop');
    expect(visitsStreamName('a-b')).toBe('visits-a-b');
    expect(demandStreamName('a-b')).toBe('demand-a-b');
    expect(restockStreamName('a-b')).toBe('restock-a-b');
    expect(dropIdFromStreamName('drop-harbour-hoodie-1')).toBe('harbour-hoodie-1');
    expect(dropIdFromStreamName('visits-harbour-hoodie-1')).toBeUndefined();
  });

  it.each([
    ['harbour-hoodie_1', true],
    ['A'.repeat(64), true],
    ['A'.repeat(65), false],
    ['', false],
    ['has.dot', false],
    ['has space', false],
  ])('isValidDropId(%p) = %p', (id, valid) => {
    expect(isValidDropId(id)).toBe(valid);
  });
});
