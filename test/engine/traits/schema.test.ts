import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadMappings } from '../../../src/mappings/load.js';
import { mappingsJsonSchema } from '../../../src/mappings/json-schema.js';
import { TraitDefinition } from '../../../src/mappings/traits-schema.js';
import { DESTINATIONS } from '../../../src/destinations/registry.js';

function errorsOf(input: unknown): string[] {
  const result = TraitDefinition.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('TraitDefinition', () => {
  it('parses a definition into its kind with durations in ms and a normalized matcher', () => {
    const parsed = TraitDefinition.parse({
      count: {
        type: 'page',
        name: 'Pricing',
        where: { 'properties.plan': { in: ['pro'], exists: true } },
        window: '48h',
      },
    });
    expect(parsed).toEqual({
      kind: 'count',
      match: {
        type: 'page',
        name: 'Pricing',
        where: [
          { path: 'properties.plan', comparison: { op: 'in', value: ['pro'] } },
          { path: 'properties.plan', comparison: { op: 'exists', value: true } },
        ],
      },
      window: 172_800_000,
    });
  });

  it('defaults distinct limit to 20 and since unit to days', () => {
    const distinct = TraitDefinition.parse({
      distinct: { event: 'A', property: 'properties.x', window: '30d' },
    });
    const since = TraitDefinition.parse({ since: { event: 'A' } });
    expect(distinct).toMatchObject({ kind: 'distinct', limit: 20 });
    expect(since).toMatchObject({ kind: 'since', unit: 'days' });
  });

  it('parses rfm tier tests and keeps tier order', () => {
    const parsed = TraitDefinition.parse({
      rfm: {
        event: 'Order Completed',
        monetary: 'properties.revenue',
        window: '365d',
        recency_days: [7, 30, 60, 120],
        frequency: [1, 2, 4, 8],
        monetary_bounds: [50, 200, 500, 1000],
        tiers: { champions: { r: '>=4', f: 3 }, rest: {} },
      },
    });
    expect(parsed.kind === 'rfm' && parsed.tiers).toEqual([
      { name: 'champions', r: { op: 'gte', value: 4 }, f: { op: 'eq', value: 3 } },
      { name: 'rest' },
    ]);
  });

  it.each([
    [
      {},
      [
        ': needs one trait kind: count, sum, min, max, avg, first, last, most_frequent, distinct, active_days, since, rfm, score, model',
      ],
    ],
    [
      { counter: {} },
      [
        ': unknown trait kind "counter"; expected one of count, sum, min, max, avg, first, last, most_frequent, distinct, active_days, since, rfm, score, model',
      ],
    ],
    [
      { count: { event: 'A', window: '1d' }, since: { event: 'A' } },
      [': has count and since: a trait has exactly one kind'],
    ],
    [
      { count: { window: '1d' } },
      ['count.event: needs event (a track event name, or "*" for any) or type (page or screen)'],
    ],
    [
      { count: { event: 'A', type: 'page', window: '1d' } },
      ['count.type: use either event (track) or type (page/screen), not both'],
    ],
    [
      { count: { event: 'A', name: 'X', window: '1d' } },
      ['count.name: name filters page/screen views: add type: page or screen'],
    ],
    [
      { count: { event: 'A', window: '2 days' } },
      ['count.window: "2 days" is not a duration such as 30s, 15m, 48h, 7d or 4w'],
    ],
    [{ count: { event: 'A', window: '0d' } }, ['count.window: must be longer than 0']],
    [{ count: { event: 'A' } }, ['count.window: is required']],
    [{ count: { event: 'A', window: '1d', limit: 3 } }, ['count: Unrecognized key: "limit"']],
    [
      { count: { event: 'A', where: { 'properties.x': {} }, window: '1d' } },
      [
        'count.where.properties.x: needs an operator: eq, ne, gt, gte, lt, lte, in, contains, exists, matches',
      ],
    ],
    [
      { count: { event: 'A', where: { 'properties.x': { matches: '(a' } }, window: '1d' } },
      ['count.where.properties.x.matches: is not a valid RE2 pattern: ...'],
    ],
    [
      { since: { event: 'A', unit: 'months' } },
      ['since.unit: must be one of seconds, minutes, hours, days, weeks'],
    ],
    [
      { distinct: { event: 'A', property: 'properties.x', window: '1d', limit: 0 } },
      ['distinct.limit: must be at least 1'],
    ],
    [
      { sum: { event: 'A', property: 'properties..x', window: '1d' } },
      ['sum.property: must be a dotted property path such as properties.revenue'],
    ],
    [
      {
        rfm: {
          event: 'A',
          monetary: 'properties.r',
          window: '365d',
          recency_days: [30, 7, 60, 120],
          frequency: [1, 2, 4],
          monetary_bounds: [1, 2, 3, 4],
          tiers: { best: { r: '>=6' } },
        },
      },
      [
        'rfm.recency_days: must be increasing',
        'rfm.frequency: needs exactly 4 boundaries',
        'rfm.tiers.best.r: ">=6" is not a score test such as ">=4", "<=2" or "3" (scores are 1..5)',
      ],
    ],
    [
      {
        score: {
          half_life: '14d',
          rules: [{ points: 5, reason: 'x', when: { trait: 'title', event: 'A', eq: 'x' } }],
        },
      },
      ['score.rules.0.when.event: a trait condition cannot also match events'],
    ],
    [
      {
        score: {
          half_life: '14d',
          rules: [{ points: 5, reason: 'x', when: { trait: 'title', eq: 'x', ne: 'y' } }],
        },
      },
      [
        'score.rules.0.when: needs exactly one operator: eq, ne, gt, gte, lt, lte, in, contains, exists, matches',
      ],
    ],
    [
      { score: { half_life: '14d', rules: [{ points: 5, reason: 'x', when: { event: 'A', eq: 'x' } }] } },
      ['score.rules.0.when.eq: operators need a trait: add trait: <name>'],
    ],
    [{ score: { half_life: '14d', rules: [] } }, ['score.rules: needs at least one rule']],
    [
      { score: { half_life: '14d', rules: [{ points: 5, reason: 'x', when: { trait: 'title' } }] } },
      [
        'score.rules.0.when: needs exactly one operator: eq, ne, gt, gte, lt, lte, in, contains, exists, matches',
      ],
    ],
    [{ model: { path: 'x.json' } }, ['model.file: is required', 'model: Unrecognized key: "path"']],
  ])('reports %j', (input, expected) => {
    const errors = errorsOf(input);
    expect(errors).toHaveLength(expected.length);
    for (const want of expected) {
      const found = errors.some((error) =>
        want.endsWith('...') ? error.startsWith(want.slice(0, -3)) : error === want,
      );
      expect(found, `missing "${want}" in ${JSON.stringify(errors)}`).toBe(true);
    }
  });
});

describe('mapping files with traits', () => {
  it('loads the example mappings/ directory, every trait kind included', () => {
    const result = loadMappings('mappings', {}, DESTINATIONS);
    if (!result.ok) throw new Error(result.errors.map(formatConfigError).join('\n'));
    const kinds = new Set(Object.values(result.config.traits).map((trait) => trait.kind));
    expect([...kinds].sort()).toEqual(
      [
        'active_days',
        'avg',
        'count',
        'distinct',
        'first',
        'last',
        'max',
        'min',
        'model',
        'most_frequent',
        'rfm',
        'score',
        'since',
        'sum',
      ].sort(),
    );
  });

  it('refuses a trait defined in two files, naming both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-traits-'));
    try {
      writeFileSync(
        join(dir, 'a.yaml'),
        'traits:\n  orders_365d:\n    count: { event: Order Completed, window: 365d }\n',
      );
      writeFileSync(
        join(dir, 'b.yaml'),
        'traits:\n  orders_365d:\n    count: { event: Order Completed, window: 30d }\n',
      );
      const result = loadMappings(dir, {});
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors.map(formatConfigError)).toEqual([
        `${join(dir, 'b.yaml')}:3:5: traits.orders_365d: trait "orders_365d" is already defined in ${join(dir, 'a.yaml')}`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a bad trait with its file, line and path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-traits-'));
    try {
      writeFileSync(
        join(dir, 'a.yaml'),
        'traits:\n  orders:\n    count: { event: Order Completed, window: forever }\n',
      );
      const result = loadMappings(dir, {});
      expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([
        `${join(dir, 'a.yaml')}:3:46: traits.orders.count.window: "forever" is not a duration such as 30s, 15m, 48h, 7d or 4w`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('generates the editor JSON Schema with every trait kind', () => {
    const text = JSON.stringify(mappingsJsonSchema());
    for (const kind of ['most_frequent', 'active_days', 'rfm', 'score', 'model'])
      expect(text).toContain(`"${kind}"`);
  });
});
