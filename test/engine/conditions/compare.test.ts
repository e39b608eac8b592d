import { describe, expect, it } from 'vitest';
import { compare } from '../../../src/engine/conditions/compare.js';
import { valueAtPath } from '../../../src/engine/conditions/path.js';
import type { Comparison } from '../../../src/mappings/conditions-schema.js';

const rows: Array<[unknown, Comparison, boolean]> = [
  ['/pricing', { op: 'eq', value: '/pricing' }, true],
  ['3', { op: 'eq', value: 3 }, false],
  [undefined, { op: 'ne', value: 'x' }, true],
  [true, { op: 'ne', value: true }, false],
  [81, { op: 'gt', value: 80 }, true],
  [80, { op: 'gt', value: 80 }, false],
  ['80.5', { op: 'gt', value: 80 }, true],
  [80, { op: 'gte', value: 80 }, true],
  [undefined, { op: 'lt', value: 80 }, false],
  [null, { op: 'lte', value: 0 }, false],
  ['abc', { op: 'lt', value: 5 }, false],
  ['2024-01-02T00:00:00Z', { op: 'gt', value: '2024-01-01T00:00:00Z' }, true],
  ['2024-01-02', { op: 'lte', value: '2024-01-02' }, true],
  ['pro', { op: 'in', value: ['pro', 'enterprise'] }, true],
  ['free', { op: 'in', value: ['pro', 'enterprise'] }, false],
  ['Director of Sales', { op: 'contains', value: 'Sales' }, true],
  [['a', 'b'], { op: 'contains', value: 'b' }, true],
  [42, { op: 'contains', value: '4' }, false],
  [0, { op: 'exists', value: true }, true],
  [null, { op: 'exists', value: true }, false],
  [undefined, { op: 'exists', value: false }, true],
  ['Senior VP', { op: 'matches', value: '(?i)director|vp' }, true],
  ['Engineer', { op: 'matches', value: '(?i)director|vp' }, false],
  [2024, { op: 'matches', value: '^20' }, true],
  [{ title: 'vp' }, { op: 'matches', value: 'vp' }, false],
];

describe('compare', () => {
  it.each(rows)('%j %j -> %s', (value, comparison, expected) => {
    expect(compare(value, comparison)).toBe(expected);
  });
});

describe('valueAtPath', () => {
  const event = { context: { page: { path: '/pricing' } }, properties: { products: [{ id: 'p1' }] } };

  it('walks dotted paths, array indexes included', () => {
    expect(valueAtPath(event, 'context.page.path')).toBe('/pricing');
    expect(valueAtPath(event, 'properties.products.0.id')).toBe('p1');
  });

  it('is undefined for missing steps and never reaches the prototype', () => {
    expect(valueAtPath(event, 'context.campaign.source')).toBeUndefined();
    expect(valueAtPath(event, 'context.page.path.length')).toBeUndefined();
    expect(valueAtPath(event, 'properties.constructor')).toBeUndefined();
  });
});
