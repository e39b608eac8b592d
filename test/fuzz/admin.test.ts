import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../src/relay.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { postBytes } from '../ingest/intake-relay.js';
import {
  fuzzParameters,
  fuzzTimeout,
  jsonText,
  keyArb,
  PROTOTYPE_KEYS,
  scalarText,
} from './intake-arbitraries.js';

/**
 * The admin API under hostile input: audience-preview rules (valid-looking, wrong, deep), bodies of
 * any size and bytes, and query parameters and path segments of any kind. The answer is never a
 * 5xx; a refusal names the field or part (`<what>: <why>`); the relay still works afterwards.
 */

const ADMIN_TOKEN = 'admin-fuzz-token-0123456789abcdef';
const WRITE_KEY = 'dev-web-write-key';

let dir: string;
let relay: RunningRelay;
const statuses = new Map<number, number>();

beforeAll(async () => {
  dir = makeTempDir('relay-admin-fuzz-');
  relay = await startTestRelay({ root: dir, adminToken: ADMIN_TOKEN });
});

afterAll(async () => {
  if (process.env.FUZZ_REPORT) console.info('admin fuzz statuses', Object.fromEntries(statuses));
  await relay?.close();
  removeTempDir(dir);
});

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function call(
  method: 'GET' | 'POST',
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
) {
  const res = await postBytes(relay.url + path, body ?? '', { ...auth, ...headers }, method);
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  return res;
}

function expectNoServerError(res: { status: number; body: Record<string, unknown> }, context: string): void {
  expect(res.status, `${context} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(
    500,
  );
  if (res.status >= 400) {
    const error = String(res.body.error);
    const issues = res.body.issues as { path: string }[] | undefined;
    if (issues?.length) expect(error.startsWith(`${issues[0]?.path}: `), `${context}: ${error}`).toBe(true);
    else expect(error, context).toMatch(/^[A-Za-z][\w.-]*: \S/);
  }
}

const TRAITS = [
  'lead_score',
  'is_customer',
  'trial_ends_at',
  'rfm.tier',
  'days_since_last_purchase',
  'last_lat',
  'avg_order_value',
];
const OPERATORS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'contains',
  'exists',
  'matches',
  'within_next',
  'within_last',
];
const quoted = (text: string) => JSON.stringify(text);
const nameText = fc.oneof(
  fc.constantFrom(...TRAITS, ...PROTOTYPE_KEYS, 'high_intent', 'champions').map(quoted),
  scalarText,
);
const windowText = fc.oneof(
  fc.constantFrom('"48h"', '"0s"', '"3650d"', '"99999d"', '"-1h"', '"1.5h"', '""').map(String),
  scalarText,
);

/** Audience rules as JSON text: mostly the right shape with wrong parts, any depth. */
const ruleText: fc.Arbitrary<string> = fc.letrec<{ rule: string; leaf: string }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: tie('leaf') },
    fc.array(tie('rule'), { maxLength: 3 }).map((rules) => `{"all":[${rules.join(',')}]}`),
    fc.array(tie('rule'), { maxLength: 3 }).map((rules) => `{"any":[${rules.join(',')}]}`),
    tie('rule').map((rule) => `{"not":${rule}}`),
  ),
  leaf: fc.oneof(
    fc
      .tuple(nameText, fc.constantFrom(...OPERATORS), fc.oneof(scalarText, windowText))
      .map(([trait, op, value]) => `{"trait":${trait},${quoted(op)}:${value}}`),
    fc
      .tuple(
        fc.oneof(
          jsonText,
          fc.constant('{"event":"Order Completed"}'),
          fc.constant('{"type":"page","where":{"context.page.path":{"eq":"/pricing"}}}'),
        ),
        fc.constantFrom('at_least', 'at_most', 'exactly', 'sometimes'),
        scalarText,
        windowText,
      )
      .map(
        ([match, bound, times, within]) =>
          `{"performed":${match},${quoted(bound)}:${times},"within":${within}}`,
      ),
    fc
      .tuple(scalarText, scalarText, scalarText)
      .map(
        ([lat, lon, radius]) =>
          `{"near":{"lat_trait":"last_lat","lon_trait":"last_lon","lat":${lat},"lon":${lon},"radius_km":${radius}}}`,
      ),
    nameText.map((name) => `{"audience":${name}}`),
    jsonText,
  ),
})).rule;

/** A chain of `not` (or `all`) 1 to 3,000 deep: past the preview's depth limit, and well within it. */
const deepRuleText = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 120 }) }, fc.integer({ min: 120, max: 3000 })),
    fc.boolean(),
  )
  .map(([depth, useAll]) =>
    useAll
      ? `${'{"all":['.repeat(depth)}{"trait":"lead_score","gt":1}${']}'.repeat(depth)}`
      : `${'{"not":'.repeat(depth)}{"trait":"lead_score","gt":1}${'}'.repeat(depth)}`,
  );

describe('admin API fuzz', () => {
  it(
    'answers any audience-preview rule with 200 or a 4xx naming the field',
    async () => {
      const body = fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .tuple(
              ruleText,
              fc.oneof(
                fc.constant(''),
                scalarText.map((sample) => `,"sample":${sample}`),
              ),
            )
            .map(([rule, sample]) => `{"rule":${rule}${sample}}`),
        },
        { weight: 1, arbitrary: deepRuleText.map((rule) => `{"rule":${rule}}`) },
        {
          weight: 1,
          arbitrary: fc.tuple(keyArb, jsonText).map(([key, value]) => `{${quoted(key)}:${value}}`),
        },
        { weight: 1, arbitrary: jsonText },
      );
      await fc.assert(
        fc.asyncProperty(body, async (text) => {
          const res = await call('POST', '/admin/api/audiences/preview', text, {
            'content-type': 'application/json',
          });
          expectNoServerError(res, text.slice(0, 300));
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'answers bodies of any size, bytes and content type with a 4xx naming the body',
    async () => {
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc
          .integer({ min: 60_000, max: 200_000 })
          .map((size) =>
            new TextEncoder().encode(`{"rule":{"trait":"lead_score","gt":1},"pad":"${'x'.repeat(size)}"}`),
          ),
        fc
          .integer({ min: 0, max: 70_000 })
          .map((size) =>
            new TextEncoder().encode(
              `{"ids":[${Array.from({ length: Math.floor(size / 8) }, (_, i) => i + 1).join(',')}]}`,
            ),
          ),
      );
      const target = fc.constantFrom('/admin/api/audiences/preview', '/admin/api/dead-letters/replay');
      const type = fc.constantFrom(
        'application/json',
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        undefined,
      );
      const encoding = fc.constantFrom(undefined, 'gzip', 'x-unknown');
      await fc.assert(
        fc.asyncProperty(target, bytes, type, encoding, async (path, body, contentType, contentEncoding) => {
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (contentEncoding) headers['content-encoding'] = contentEncoding;
          const res = await call('POST', path, body, headers);
          expectNoServerError(res, `${path} ${body.length} bytes ${JSON.stringify(headers)}`);
          if (body.length > 64 * 1024 && contentType?.startsWith('application/json') && !contentEncoding) {
            expect([413, 415]).toContain(res.status);
          }
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it(
    'answers any query parameters and path segments on every GET endpoint',
    async () => {
      const garbage = fc.constantFrom(
        '%',
        '%zz',
        '%E0%A4%A',
        '%00',
        '%C0%AF',
        '..%2F..',
        '%FF%FE',
        '\u0000',
        '__proto__',
        'constructor',
      );
      const value = fc.oneof(
        fc.string({ maxLength: 20 }).map(encodeURIComponent),
        fc.string({ unit: 'binary', maxLength: 10 }).map(encodeURIComponent),
        garbage,
        fc.constantFrom('-1', '0', '1e400', 'NaN', '99999999999999999999', '2024-13-45', 'true'),
      );
      const key = fc.oneof(
        fc.constantFrom(
          'userId',
          'anonymousId',
          'email',
          'audience',
          'limit',
          'source',
          'destination',
          'status',
          'profile',
          'q',
          'since',
          'until',
          'replayed',
          'userId[]',
          'limit[a]',
          '__proto__',
          'constructor',
        ),
        fc.string({ maxLength: 8 }).map(encodeURIComponent),
        garbage,
      );
      const query = fc
        .array(fc.tuple(key, value), { maxLength: 5 })
        .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
      const path = fc.oneof(
        fc.constantFrom(
          '/admin/api/profiles',
          '/admin/api/profiles/explain',
          '/admin/api/processing',
          '/admin/api/audiences',
          '/admin/api/deliveries',
          '/admin/api/dead-letters',
          '/admin/api/config',
          '/admin/api/rebuild',
        ),
        fc.oneof(value, garbage).map((segment) => `/admin/api/events/${segment}`),
        fc
          .oneof(value, garbage, fc.constantFrom('high_intent', 'champions'))
          .map((segment) => `/admin/api/audiences/${segment}/members`),
        fc.oneof(value, garbage).map((segment) => `/admin/api/${segment}`),
      );
      await fc.assert(
        fc.asyncProperty(path, query, async (target, search) => {
          const res = await call('GET', target + search);
          expectNoServerError(res, target + search);
        }),
        fuzzParameters(),
      );
    },
    fuzzTimeout(),
  );

  it('still answers the admin API and stores a normal event afterwards; nothing answered 5xx', async () => {
    const id = `admin-fuzz-after-${Date.now()}`;
    const res = await postBytes(
      `${relay.url}/v1/track`,
      JSON.stringify({ userId: 'u', event: 'After', messageId: id }),
      {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      },
    );
    expect(res.status).toBe(200);
    expect((await call('GET', `/admin/api/events/${id}`)).status).toBe(200);
    const preview = await call(
      'POST',
      '/admin/api/audiences/preview',
      '{"rule":{"trait":"lead_score","gt":80}}',
      { 'content-type': 'application/json' },
    );
    expect(preview.status).toBe(200);
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
  });
});
