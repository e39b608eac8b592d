import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastEventFields } from '../../src/ingest/fast-validate.js';
import { normalizeFields, normalizeWithFlags } from '../../src/ingest/normalize.js';
import { SpecEvent } from '../../src/ingest/schemas.js';

/**
 * The intake's fast path (src/ingest/fast-validate.ts) must never accept what the zod schema
 * refuses, must yield the fields zod's output has, and must store the same event; and it must take
 * the hot shapes (SDK events with a messageId) without zod.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const params = { numRuns: RUNS, seed: 20_261_127 };

const longText = (length: number) => 'x'.repeat(length);

/** Values near every boundary the schema has, for any field. */
const BOUNDARY_VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x',
  0,
  42,
  1.5,
  2 ** 53,
  -1,
  true,
  false,
  [],
  ['a'],
  {},
  { a: 1 },
  longText(100),
  longText(101),
  longText(200),
  longText(201),
  longText(1024),
  longText(1025),
  '2025-03-14T09:26:53.589Z',
  '2025-03-14',
  'not a date',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  '+010000-01-01T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  'track',
  'identify',
  'page',
  'screen',
  'group',
  'alias',
];

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...BOUNDARY_VALUES),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

const FIELDS = [
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'receivedAt',
  'context',
  'integrations',
  'properties',
  'traits',
  'event',
  'name',
  'category',
  'groupId',
  'previousId',
  'writeKey',
  'extra',
] as const;

const validTime = fc
  .integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) })
  .map((ms) => new Date(ms).toISOString());
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const record = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });

/** Events as SDKs send them: every one of these must take the fast path. */
const sdkEvent = fc
  .record({
    type: fc.constantFrom('track', 'identify', 'page', 'screen'),
    messageId: fc.string({ minLength: 1, maxLength: 100 }),
    userId: optional(fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.constant(null))),
    anonymousId: fc.string({ minLength: 1, maxLength: 60 }),
    timestamp: optional(validTime),
    originalTimestamp: optional(validTime),
    sentAt: optional(validTime),
    context: optional(record),
    integrations: optional(record),
    properties: optional(record),
    traits: optional(record),
    event: fc.string({ minLength: 1, maxLength: 200 }),
    name: optional(fc.oneof(fc.string(), fc.constant(null))),
  })
  .map((event) => JSON.parse(JSON.stringify(event)) as Record<string, unknown>);

/** SDK events with any field replaced by any value, or removed, or extra keys added. */
const mutatedEvent = fc
  .tuple(
    sdkEvent,
    fc.array(fc.tuple(fc.constantFrom(...FIELDS), anyValue), { maxLength: 4 }),
    fc.array(fc.constantFrom(...FIELDS), { maxLength: 2 }),
  )
  .map(([event, replaced, removed]) => {
    const out: Record<string, unknown> = { ...event };
    for (const [field, value] of replaced) out[field] = value;
    for (const field of removed) delete out[field];
    return out;
  });

const fieldsOf = (event: Record<string, unknown>) => ({
  type: event.type,
  messageId: event.messageId,
  userId: event.userId,
  anonymousId: event.anonymousId,
  timestamp: event.timestamp,
  originalTimestamp: event.originalTimestamp,
  sentAt: event.sentAt,
});

const RECEIVED_AT = Date.UTC(2026, 0, 1);

/** Fast path accepted `value`: zod must accept it too, with the same fields and stored event. */
function expectAgreement(value: unknown): void {
  const fast = fastEventFields(value);
  if (fast === undefined) return;
  const parsed = SpecEvent.safeParse(value);
  expect(parsed.success).toBe(true);
  if (!parsed.success) return;
  expect(fast).toEqual(fieldsOf(parsed.data as Record<string, unknown>));
  const options = { sent: value as Record<string, unknown>, maxFutureSkewMs: 86_400_000 };
  expect(normalizeFields('web', fast, fast.messageId, RECEIVED_AT, options)).toEqual(
    normalizeWithFlags('web', parsed.data, RECEIVED_AT, options),
  );
}

describe('intake fast path', () => {
  it('accepts only what zod accepts, with zod’s fields and the same stored event', () => {
    fc.assert(fc.property(fc.oneof(mutatedEvent, sdkEvent, anyValue), expectAgreement), params);
  });

  it('agrees with zod on every boundary value in every field of every covered type', () => {
    for (const type of ['track', 'identify', 'page', 'screen']) {
      const base = { type, event: 'E', messageId: 'm-1', userId: 'u1', anonymousId: 'a1' };
      for (const field of FIELDS) {
        for (const value of BOUNDARY_VALUES) {
          expectAgreement({ ...base, [field]: value });
          expectAgreement({ ...base, userId: undefined, [field]: value });
        }
      }
    }
  });

  it('takes every SDK-shaped event without zod', () => {
    fc.assert(
      fc.property(sdkEvent, (event) => {
        expect(fastEventFields(event)).toBeDefined();
      }),
      params,
    );
  });

  it('leaves the shapes it does not cover to zod', () => {
    const base = { type: 'track', event: 'E', messageId: 'm-1', userId: 'u1' };
    expect(fastEventFields(base)).toBeDefined();
    for (const variant of [
      { ...base, messageId: undefined },
      { ...base, userId: 7 },
      { ...base, type: 'group', groupId: 'g' },
      { ...base, context: [] },
      { ...base, timestamp: '-271821-04-20T00:00:00Z' },
      JSON.parse('{"type":"track","event":"E","messageId":"m","userId":"u","__proto__":{}}') as unknown,
      Object.assign(Object.create(null) as object, base),
    ]) {
      expect(fastEventFields(variant)).toBeUndefined();
    }
  });
});
