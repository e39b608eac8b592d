import fc from 'fast-check';
import { SPEC_FIELDS } from '../../src/ingest/schemas.js';

/**
 * Shared fast-check settings and generators for the intake and admin fuzz tests. CI runs
 * FUZZ_RUNS (default 1,000) cases per target with a fixed seed, so a failure reproduces;
 * `npm run test:fuzz` runs 10,000. FUZZ_SEED picks another seed.
 */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_260_531);

export function fuzzParameters<T>(runs = FUZZ_RUNS): fc.Parameters<T> {
  return { numRuns: runs, seed: FUZZ_SEED, endOnFailure: true };
}

/** Time budget per target grows with the runs asked for. */
export function fuzzTimeout(runs = FUZZ_RUNS): number {
  return 60_000 + runs * 20;
}

/** Keys that reach Object.prototype when code assigns them carelessly, and names the spec uses. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
];
export { SPEC_FIELDS };

export const keyArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PROTOTYPE_KEYS, ...SPEC_FIELDS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
);

/** Scalars as JSON text: wrong types, edge numbers (1e400 parses to Infinity), NUL, lone surrogates. */
export const scalarText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'null',
      'true',
      'false',
      '0',
      '-0',
      '1e400',
      '-1e400',
      '1e-400',
      '123456789012345678901234567890',
      '9007199254740993',
      '1.7976931348623157e308',
      '""',
      '"\\u0000"',
      '"a\\u0000b"',
      '"\\ud800"',
      '"\\udfff\\ud800"',
      '"-271821-04-20T00:00:00.000Z"',
      '"+275760-09-13T00:00:00.000Z"',
      '"2099-01-01T00:00:00Z"',
      '"2015-2-02T00:30:08.276Z"',
      '"2024-05-01T10:00:00.000Z"',
    ),
  },
  { weight: 4, arbitrary: fc.integer().map(String) },
  {
    weight: 4,
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => JSON.stringify(value)),
  },
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }).map((text) => JSON.stringify(text)) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((text) => JSON.stringify(text)) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1000, max: 40_000 }).map((length) => JSON.stringify('x'.repeat(length))),
  },
);

/** Any JSON value as text, with prototype keys at every depth. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>(
  (tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarText, tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    object: fc
      .array(fc.tuple(keyArb, tie('value')), { maxLength: 4 })
      .map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
  }),
).value;

/** A value nested 1 to 6,000 levels, objects keyed by prototype keys or arrays. */
export const deepText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 80 }) }, fc.integer({ min: 80, max: 6000 })),
    fc.constantFrom('[', ...PROTOTYPE_KEYS.slice(0, 3), 'a'),
  )
  .map(([depth, key]) =>
    key === '['
      ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
      : `${`{"${key}":`.repeat(depth)}1${'}'.repeat(depth)}`,
  );

const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof TYPES)[number];

/** A valid event of `type` as JSON fields (text values). */
export function validFields(type: EventType, id: string): Record<string, string> {
  // A null prototype, so a `__proto__` field is a key like any other.
  const fields: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, {
    type: JSON.stringify(type),
    userId: '"fuzz-user"',
    messageId: JSON.stringify(id),
    timestamp: '"2024-05-01T10:00:00.000Z"',
    context: '{"library":{"name":"fuzz"}}',
  });
  if (type === 'track') fields.event = '"Fuzzed"';
  if (type === 'group') fields.groupId = '"org-1"';
  if (type === 'alias') fields.previousId = '"anon-1"';
  return fields;
}

export function objectText(fields: Record<string, string>): string {
  return `{${Object.entries(fields)
    .map(([key, value]) => `${JSON.stringify(key)}:${value}`)
    .join(',')}}`;
}

/** A valid event with some fields replaced, removed or added (any key, any JSON value, deep values). */
export const mutatedEventText: fc.Arbitrary<{ type: EventType; text: string }> = fc
  .tuple(
    fc.constantFrom(...TYPES),
    fc.uuid(),
    fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...SPEC_FIELDS), keyArb),
        fc.oneof(
          { weight: 6, arbitrary: jsonText },
          { weight: 1, arbitrary: deepText },
          { weight: 1, arbitrary: fc.constant('DELETE') },
        ),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([type, id, changes]) => {
    const fields = validFields(type, id);
    for (const [key, value] of changes) {
      if (value === 'DELETE') delete fields[key];
      else fields[key] = value;
    }
    return { type, text: objectText(fields) };
  });
