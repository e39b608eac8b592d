import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  BROWSER_SOURCES,
  basic,
  postBytes,
  startIntakeRelay,
  storedEvent,
  type IntakeRelay,
} from './intake-relay.js';

const WEB_KEY = BROWSER_SOURCES.web.write_key;
const SERVER_KEY = BROWSER_SOURCES.server.write_key;
const SHOP = 'https://shop.example.com';

let harness: IntakeRelay;
let sequence = 0;
const nextId = (prefix = 'rs') => `${prefix}-${++sequence}-${Date.now()}`;
const url = (path: string) => harness.relay.url + path;
const json = { 'content-type': 'application/json' };
const webAuth = { ...json, authorization: basic(WEB_KEY) };
const post = (path: string, body: unknown, headers: Record<string, string> = webAuth) =>
  postBytes(url(path), typeof body === 'string' ? body : JSON.stringify(body), headers);

beforeAll(async () => {
  harness = await startIntakeRelay();
});

afterAll(async () => {
  await harness?.close();
});

describe('optional fields sent as null are absent (analytics.js page() sends name and category null)', () => {
  it('accepts a real analytics.js page event with "category": null and "name": null, stored as sent', async () => {
    const event = {
      anonymousId: '3d316d2c-26e8-451f-91be-a0766708c81e',
      category: null,
      name: null,
      userId: null,
      context: {
        library: { name: 'analytics.js', version: 'npm:next-1.72.0' },
        page: {
          path: '/index.html',
          referrer: '',
          search: '',
          title: '',
          url: 'https://example.com/index.html',
        },
      },
      integrations: {},
      messageId: nextId('ajs-next'),
      properties: {
        path: '/index.html',
        referrer: '',
        search: '',
        title: '',
        url: 'https://example.com/index.html',
      },
      timestamp: new Date().toISOString(),
      type: 'page',
    };
    const res = await post('/v1/page', event);
    expect(res.status).toBe(200);
    const stored = await storedEvent(harness.relay, event.messageId);
    expect(stored?.body).toEqual(event);
    expect(stored?.body).toHaveProperty('category', null);
  });

  it('treats null timestamps, context, properties and traits as absent, and still requires what is required', async () => {
    const ok = {
      type: 'identify',
      userId: 'u-null-1',
      messageId: nextId(),
      timestamp: null,
      sentAt: null,
      context: null,
      traits: null,
    };
    expect((await post('/v1/batch', { batch: [ok], context: null, sentAt: null })).status).toBe(200);
    expect((await storedEvent(harness.relay, ok.messageId))?.body).toEqual(ok);
    const res = await post('/v1/track', { userId: 'u', event: null, messageId: nextId() });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('event: is required');
  });
});

describe('analytics.js in the browser: /v1/t, /v1/p, ... /v1/b with text/plain and CORS', () => {
  const browser = (origin = SHOP) => ({ 'content-type': 'text/plain', origin });

  it('answers the CORS preflight for an allowed origin, with the headers analytics-next sends', async () => {
    const res = await postBytes(
      url('/v1/t'),
      '',
      {
        origin: SHOP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-retry-count',
      },
      'OPTIONS',
    );
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/X-Retry-Count/);
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('refuses the preflight of an origin no source allows, without CORS headers', async () => {
    const res = await postBytes(url('/v1/t'), '', { origin: 'https://evil.example.net' }, 'OPTIONS');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.body.error).toMatch(
      /^Origin: https:\/\/evil\.example\.net is not in any source's allowed_origins/,
    );
  });

  it('stores each type posted to its one-letter path with the write key in the body, without storing the key', async () => {
    const cases = [
      ['t', { event: 'Clicked' }],
      ['p', { name: null, category: null, properties: { path: '/' } }],
      ['i', { traits: { plan: 'pro' } }],
      ['s', { name: 'Home' }],
      ['g', { groupId: 'org-1' }],
      ['a', { previousId: 'anon-prev', userId: 'u-alias' }],
    ] as const;
    const types: Record<string, string> = {
      t: 'track',
      p: 'page',
      i: 'identify',
      s: 'screen',
      g: 'group',
      a: 'alias',
    };
    for (const [path, fields] of cases) {
      const event = {
        type: types[path],
        anonymousId: 'anon-browser',
        userId: null,
        messageId: nextId('ajs-next'),
        writeKey: WEB_KEY,
        sentAt: new Date().toISOString(),
        _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] },
        ...fields,
      };
      const res = await post(`/v1/${path}`, event, browser());
      expect(res.status, `/v1/${path}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
      const stored = await storedEvent(harness.relay, event.messageId);
      expect(stored?.type).toBe(types[path]);
      const { writeKey: _key, ...withoutKey } = event;
      expect(stored?.body).toEqual(withoutKey);
    }
  });

  it('accepts the batching dispatcher: {batch, sentAt, writeKey} posted to /v1/b, with Basic auth too', async () => {
    const events = [
      { type: 'track', event: 'A', anonymousId: 'anon-b', messageId: nextId('ajs-next') },
      { type: 'page', name: null, category: null, anonymousId: 'anon-b', messageId: nextId('ajs-next') },
    ];
    const sentAt = new Date().toISOString();
    const res = await post(
      '/v1/b',
      { writeKey: WEB_KEY, batch: events, sentAt },
      { ...browser('https://www.example.org'), authorization: basic(WEB_KEY) },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://www.example.org');
    for (const event of events) {
      expect((await storedEvent(harness.relay, event.messageId))?.body).toEqual({ ...event, sentAt });
    }
  });

  it("refuses a source's write key from an origin it does not list (403, readable, nothing stored)", async () => {
    const event = { type: 'track', event: 'X', userId: 'u', messageId: nextId(), writeKey: SERVER_KEY };
    const res = await post('/v1/t', event, browser());
    expect(res.status).toBe(403);
    expect(res.body.error).toBe(`Origin: ${SHOP} is not in sources.server.allowed_origins`);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(await storedEvent(harness.relay, event.messageId)).toBeUndefined();
    // The bare domain is not covered by https://*.example.org (and no other source allows it).
    const bare = await post('/v1/t', { ...event, writeKey: WEB_KEY }, browser('https://example.org'));
    expect(bare.status).toBe(403);
    // Webhook routes check the origin too (a page could post text/plain there without CORS).
    const webhook = await post('/webhooks/rudderstack', event, {
      ...browser(),
      authorization: basic(SERVER_KEY),
    });
    expect(webhook.status).toBe(403);
    // Servers send no Origin: unaffected.
    const server = await post('/v1/track', event, { ...json, authorization: basic(SERVER_KEY) });
    expect(server.status).toBe(200);
  });
});

describe('input that can never succeed is a 4xx naming the problem, never a 500', () => {
  it('refuses a 5,000-deep body with 400 naming the path and the depth limit', async () => {
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    const res = await post('/v1/track', `{"userId":"u","event":"e","properties":{"a":${deep}}}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^properties\.a\[0\]\[0\].*: nested deeper than 32 levels/);
    const array = await post('/webhooks/rudderstack', deep, { ...json, authorization: basic(SERVER_KEY) });
    expect(array.status).toBe(400);
    expect(array.body.error).toMatch(/nested deeper than 32 levels/);
  });

  it('refuses an event time outside JavaScript dates (400 naming it); the valid event beside it then stores', async () => {
    const good = { type: 'track', userId: 'u', event: 'Good', messageId: nextId() };
    const bad = {
      type: 'track',
      userId: 'u',
      event: 'Bad',
      originalTimestamp: '2026-01-01T00:00:00Z',
      sentAt: '-271821-04-20T00:00:00.000Z',
    };
    const res = await post('/v1/batch', { batch: [good, bad] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('batch[1].sentAt: must be a date-time in the years 0000 to 9999');
    expect(await storedEvent(harness.relay, good.messageId)).toBeUndefined();
    const envelope = await post('/v1/batch', { batch: [good], sentAt: '+275760-09-13T00:00:00.000Z' });
    expect(envelope.status).toBe(400);
    expect(envelope.body.error).toMatch(/^sentAt: /);
    expect((await post('/v1/batch', { batch: [good] })).status).toBe(200);
  });

  it('refuses a malformed path with 400, and a prototype name as a path with 404', async () => {
    const res = await post('/v1/%E0%A4%A', { userId: 'u' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^path: /);
    for (const name of ['constructor', '__proto__', 'toString']) {
      const proto = await post(`/v1/${name}`, { userId: 'u', event: 'e' });
      expect(proto.status, name).toBe(404);
      expect(proto.body.error).toBe(`path: /v1/${name} is not an endpoint`);
    }
  });

  it('refuses an empty body, invalid UTF-8 and an out-of-range number, each named', async () => {
    const empty = await post('/v1/track', '');
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatch(/^body: is empty/);
    const latin1 = Buffer.from('{"userId":"Jos\xe9","event":"e"}', 'latin1');
    const notUtf8 = await postBytes(url('/v1/track'), new Uint8Array(latin1), webAuth);
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.body.error).toBe('body: is not valid UTF-8');
    const huge = await post('/v1/track', '{"userId":"u","event":"e","properties":{"n":1e400}}');
    expect(huge.status).toBe(400);
    expect(huge.body.error).toMatch(/^properties\.n: number out of range/);
    const bigId = await post('/v1/track', '{"userId":12345678901234567890,"event":"e"}');
    expect(bigId.status).toBe(400);
    expect(bigId.body.error).toMatch(/^userId: must be a string when beyond 2\^53/);
  });

  it('names the limit for events per request, string length and key count', async () => {
    const many = Array.from({ length: 2001 }, (_, i) => ({
      type: 'track',
      userId: 'u',
      event: 'e',
      messageId: `m${i}`,
    }));
    const tooMany = await post('/v1/batch', { batch: many });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toBe('batch: 2001 events; at most 2000 events per request');
    const longString = await post('/v1/track', {
      userId: 'u',
      event: 'e',
      properties: { note: 'x'.repeat(16 * 1024 + 1) },
    });
    expect(longString.status).toBe(400);
    expect(longString.body.error).toBe(
      'properties.note: string of 16385 characters; at most 16384 per string',
    );
    const traits = Object.fromEntries(Array.from({ length: 2001 }, (_, i) => [`t${i}`, 0]));
    const manyKeys = await post('/v1/identify', { userId: 'u', traits });
    expect(manyKeys.status).toBe(400);
    expect(manyKeys.body.error).toMatch(/^body: more than 2000 object keys in all/);
  });

  it('refuses a gzip bomb with 413 naming the request limit', async () => {
    const bomb = gzipSync(Buffer.alloc(20_000_000, 0x20));
    const res = await postBytes(url('/v1/track'), new Uint8Array(bomb), {
      ...webAuth,
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/^body: at most 512000 bytes/);
  });

  it('clamps an event time over 24h ahead to the receive time and flags it; the body stays as sent', async () => {
    const ahead = new Date(Date.now() + 48 * 3600_000).toISOString();
    const future = {
      type: 'track',
      userId: 'u',
      event: 'From the future',
      messageId: nextId(),
      timestamp: ahead,
    };
    expect((await post('/v1/track', future)).status).toBe(200);
    const stored = await storedEvent(harness.relay, future.messageId);
    expect(stored?.eventTime).toBe(stored?.receivedAt);
    expect(stored?.body).toEqual({ ...future, _relay: { clampedEventTime: ahead } });

    const soon = new Date(Date.now() + 3600_000).toISOString();
    const near = { type: 'track', userId: 'u', event: 'Soon', messageId: nextId(), timestamp: soon };
    expect((await post('/v1/track', near)).status).toBe(200);
    const nearStored = await storedEvent(harness.relay, near.messageId);
    expect(nearStored?.eventTime).toBe(soon);
    expect(nearStored?.body).toEqual(near);
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toMatch(/relay_events_clamped_total\{source="web"\} 1/);
  });

  it('answers admin bodies over 64 KB, not JSON, or nested 1,000 deep with a 4xx naming them', async () => {
    const admin = { ...json, authorization: `Bearer ${ADMIN_TOKEN}` };
    const big = await post(
      '/admin/api/audiences/preview',
      { rule: { trait: 'x', gt: 1 }, pad: 'x'.repeat(70_000) },
      admin,
    );
    expect(big.status).toBe(413);
    expect(big.body.error).toBe('body: too large; at most 65536 bytes (64 KB)');
    const broken = await post('/admin/api/audiences/preview', '{"rule":', admin);
    expect(broken.status).toBe(400);
    expect(broken.body.error).toBe('body: is not valid JSON');
    let rule: unknown = { trait: 'x', gt: 1 };
    for (let i = 0; i < 1000; i++) rule = { not: rule };
    const deep = await post('/admin/api/audiences/preview', { rule }, admin);
    expect(deep.status).toBe(400);
    expect(deep.body.error).toBe('rule: nested deeper than 100 levels of JSON (the limit)');
    const badPath = await fetch(url('/admin/api/events/%E0%A4%A'), { headers: admin });
    expect(badPath.status).toBe(400);
  });

  it('still accepts a normal event after all of that', async () => {
    expect((await post('/v1/track', { userId: 'u', event: 'Still fine', messageId: nextId() })).status).toBe(
      200,
    );
  });
});

describe('logs for on call', () => {
  it('leaves one warn line per kind of refusal with the reason and field, never a value from the body', async () => {
    const own = await startIntakeRelay();
    try {
      for (let i = 0; i < 30; i++) {
        await postBytes(
          `${own.relay.url}/v1/track`,
          '{"userId":"raw-user-7731","event":"e","properties":{"ada@example.com":1e400}}',
          webAuth,
        );
      }
      await postBytes(`${own.relay.url}/v1/track`, '{"userId":"raw-user-7731"', webAuth);
      const warnings = own.logs().filter((line) => line.msg === 'intake request rejected');
      const numbers = warnings.filter((line) => line.reason === 'limit_number');
      expect(numbers).toHaveLength(1);
      expect(numbers[0]).toMatchObject({
        level: 40,
        route: 'v1',
        status: 400,
        source: 'web',
        field: 'properties.*',
      });
      expect(warnings.filter((line) => line.reason === 'invalid_json')).toMatchObject([
        { source: 'web', field: 'body' },
      ]);
      const text = JSON.stringify(own.logs());
      for (const secret of ['raw-user-7731', 'ada@example.com', WEB_KEY]) expect(text).not.toContain(secret);
    } finally {
      await own.close();
    }
  });
});
