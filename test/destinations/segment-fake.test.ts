import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { BuiltRequest, Transport } from '../../src/delivery/destination.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { segmentFake } from '../../src/destinations/segment/fake-describe.js';
import {
  FAKE_SEGMENT_WRITE_KEY,
  startFakeSegment,
  type FakeSegment,
} from '../../src/destinations/segment/fake-server.js';
import { basicAuthorization } from '../../src/destinations/segment/payload.js';
import { segmentTransport } from '../../src/destinations/segment/transport.js';
import { sentByRelay } from '../../src/ingest/loop-guard.js';

/** The fake Segment over real HTTP, then buildBatch -> the SDK transport -> fake -> classify. */

const KEY = FAKE_SEGMENT_WRITE_KEY;
let fake: FakeSegment;
const transports: Transport[] = [];

beforeAll(async () => {
  fake = await startFakeSegment({ seed: 7 });
});
afterAll(async () => {
  await Promise.all(transports.map((transport) => transport.close()));
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRateLimit({ requests: 1000, windowMs: 1000 });
});

async function post(path: string, body: unknown, authorization: string | null = basicAuthorization(KEY)) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (authorization !== null) headers.Authorization = authorization;
  const response = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

const identify = (userId: string, extra: Record<string, unknown> = {}) => ({
  type: 'identify',
  userId,
  traits: { plan: 'pro' },
  messageId: `m-${userId}`,
  ...extra,
});

describe('fake Segment tracking API', () => {
  it('takes the write key from Basic auth or the body and answers {"success":true}', async () => {
    const byHeader = await post('/v1/batch', { batch: [identify('u1')] });
    expect(byHeader).toMatchObject({ status: 200, body: { success: true } });
    const byBody = await post('/v1/batch', { batch: [identify('u2')], writeKey: KEY }, null);
    expect(byBody).toMatchObject({ status: 200, body: { success: true } });
    const single = await post('/v1/track', { userId: 'u3', event: 'Signed Up', messageId: 'm-3' });
    expect(single.status).toBe(200);
    expect(fake.events().map((event) => [event.type, event.userId])).toEqual([
      ['identify', 'u1'],
      ['identify', 'u2'],
      ['track', 'u3'],
    ]);
  });

  it('answers 400 without a write key, but 200 for an unknown one whose events it drops (as Segment does)', async () => {
    expect((await post('/v1/batch', { batch: [identify('u1')] }, null)).status).toBe(400);
    const unknown = await post('/v1/batch', { batch: [identify('u1')] }, basicAuthorization('wrong-key-123'));
    expect(unknown).toMatchObject({ status: 200, body: { success: true } });
    expect(fake.events()).toEqual([]);
    expect(fake.dropped().map((entry) => entry.reason)).toEqual(['unknown write key']);
  });

  it('refuses invalid JSON, an event over 32 KB and a request over 500 KB with 400', async () => {
    expect((await post('/v1/batch', '{"batch": [')).status).toBe(400);
    const big = 'x'.repeat(33 * 1024);
    expect((await post('/v1/batch', { batch: [identify('u1', { traits: { big } })] })).status).toBe(400);
    const medium = 'x'.repeat(20 * 1024);
    const batch = Array.from({ length: 30 }, (_, i) => identify(`u${i}`, { traits: { medium } }));
    expect((await post('/v1/batch', { batch })).status).toBe(400);
    expect(fake.events()).toEqual([]);
  });

  it('answers 200 for more than 2,500 events, invalid events and duplicates, and keeps none of them', async () => {
    const many = Array.from({ length: 2501 }, (_, i) => ({ type: 'track', userId: `u${i}`, event: 'E' }));
    expect((await post('/v1/batch', { batch: many })).status).toBe(200);
    const invalid = [{ type: 'identify', traits: {} }, { type: 'track', userId: 'u1' }, identify('u2')];
    expect((await post('/v1/batch', { batch: invalid })).status).toBe(200);
    expect((await post('/v1/batch', { batch: [identify('u2')] })).status).toBe(200);
    expect(fake.events().map((event) => event.userId)).toEqual(['u2']);
    const reasons = fake.dropped().map((entry) => entry.reason);
    expect(reasons.filter((reason) => reason === 'over 2,500 events')).toHaveLength(2501);
    expect(reasons.slice(2501)).toEqual(['no_user_anon_id', 'track without event', 'duplicate messageId']);
  });

  it('merges the batch context into each event', async () => {
    await post('/v1/batch', {
      batch: [identify('u1', { context: { ip: '1.2.3.4' } })],
      context: { library: { name: 'x' } },
    });
    expect(fake.events()[0]?.context).toEqual({ library: { name: 'x' }, ip: '1.2.3.4' });
  });

  it('throttles over the rate limit with 429 and Retry-After', async () => {
    fake.setRateLimit({ requests: 1, windowMs: 60_000 });
    expect((await post('/v1/batch', { batch: [identify('u1')] })).status).toBe(200);
    const throttled = await post('/v1/batch', { batch: [identify('u2')] });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

function configured(host: string, timeoutMs?: number) {
  const segment = DESTINATIONS.segment;
  if (!segment) throw new Error('segment is not registered');
  const settings = { write_key: KEY, host };
  const destination = segment.configure(settings, {
    audiences: ['high_intent', 'cart_abandoners'],
    traits: ['lead_score', 'email'],
  });
  // The registered transport uses the type's timeout; tests that need a short one build their own.
  const transport =
    timeoutMs === undefined
      ? destination.transport?.()
      : segmentTransport({ settings: { write_key: KEY, host } }, { timeoutMs });
  if (!transport) throw new Error('segment has no transport');
  transports.push(transport);
  return { destination, transport };
}

const items = [
  deliveryItem({
    profileId: 'p1',
    version: 3,
    identifiers: { userId: 'u1', email: 'ada@example.com' },
    audiences: { high_intent: true },
    traits: { lead_score: 91, email: 'ada@example.com' },
  }),
  deliveryItem({
    profileId: 'p2',
    version: 5,
    identifiers: { anonymousId: 'anon-2' },
    audiences: { high_intent: false, cart_abandoners: true },
  }),
];

describe('buildBatch -> @segment/analytics-node -> fake Segment -> classify', () => {
  it('delivers the identifies and the Audience Entered / Exited tracks, marked, with the right traits', async () => {
    const { destination, transport } = configured(fake.url);
    const built = destination.buildBatch(items);
    expect(built.requests).toHaveLength(1);
    const request = built.requests[0] as BuiltRequest;
    const result = await transport.send(request);
    expect(result).toMatchObject({ kind: 'response', status: 200, body: { success: true } });
    expect(destination.classify(result, request).items).toEqual([{ kind: 'ok' }, { kind: 'ok' }]);

    // One HTTP call, by the SDK: Basic auth, its library context, our messageIds and marker.
    expect(fake.requests).toHaveLength(1);
    const call = fake.requests[0];
    expect(call?.path).toBe('/v1/batch');
    expect(call?.headers.authorization).toBe(basicAuthorization(KEY));
    expect(call?.headers['user-agent']).toBe('analytics-node-next/latest');
    expect(call?.body).toMatchObject({ writeKey: KEY, sentAt: expect.any(String) as unknown });
    const events = fake.events();
    expect(events.map((event) => [event.type, event.event ?? null, event.messageId])).toEqual([
      ['identify', null, 'relay-p1-3-identify'],
      ['track', 'Audience Entered', 'relay-p1-3-high_intent-entered'],
      ['identify', null, 'relay-p2-5-identify'],
      ['track', 'Audience Exited', 'relay-p2-5-high_intent-exited'],
      ['track', 'Audience Entered', 'relay-p2-5-cart_abandoners-entered'],
    ]);
    for (const event of events) {
      expect(sentByRelay(event)).toBe(true);
      expect(event.context).toMatchObject({ library: { name: '@segment/analytics-node' } });
    }
    expect(events[0]).toMatchObject({
      userId: 'u1',
      traits: { high_intent: true, lead_score: 91, email: 'ada@example.com' },
    });
    expect(events[1]).toMatchObject({
      userId: 'u1',
      properties: { audience_key: 'high_intent', high_intent: true },
    });
    expect(events[2]).toMatchObject({
      anonymousId: 'anon-2',
      traits: { high_intent: false, cart_abandoners: true },
    });
    expect(events[2]).not.toHaveProperty('userId');
    expect(segmentFake.describe(call as NonNullable<typeof call>)).toBe(
      'identify 2, track 3 (Audience Entered, Audience Exited)',
    );

    // The same request again (a retry): the same messageIds, so Segment keeps nothing twice.
    await transport.send(request);
    expect(fake.requests).toHaveLength(2);
    expect(fake.events()).toHaveLength(5);
    expect(fake.dropped().map((entry) => entry.reason)).toEqual(Array(5).fill('duplicate messageId'));
  });

  it('retries after a 500 without the SDK retrying on its own', async () => {
    const { destination, transport } = configured(fake.url);
    fake.setFaults({ errorRate: 1 });
    const request = destination.buildBatch(items).requests[0] as BuiltRequest;
    const result = await transport.send(request);
    expect(result).toMatchObject({ kind: 'response' });
    expect(fake.requests).toHaveLength(1);
    const outcomes = destination.classify(result, request).items;
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['retry', 'retry']);
    expect(outcomes[0]).toMatchObject({
      reason: expect.stringMatching(/^HTTP 50[02]: server error/) as unknown,
    });
  });

  it('rejects what Segment refuses with 400, sent once', async () => {
    const { destination, transport } = configured(fake.url);
    const request = destination.buildBatch(items).requests[0] as BuiltRequest;
    // A message over 32 KB, which buildBatch never makes: only the server refuses it here.
    const body = structuredClone(request.body) as { batch: { traits?: Record<string, unknown> }[] };
    (body.batch[0] as { traits: Record<string, unknown> }).traits.notes = 'n'.repeat(40 * 1024);
    const oversize = { ...request, body };
    const result = await transport.send(oversize);
    expect(result).toMatchObject({ kind: 'response', status: 400 });
    expect(fake.requests).toHaveLength(1);
    expect(destination.classify(result, oversize).items.map((outcome) => outcome.kind)).toEqual([
      'reject',
      'reject',
    ]);
    expect(fake.events()).toEqual([]);
  });

  it('pauses on a 429 for its Retry-After, sent once', async () => {
    const { destination, transport } = configured(fake.url);
    fake.setRateLimit({ requests: 0, windowMs: 5000 });
    const request = destination.buildBatch(items).requests[0] as BuiltRequest;
    const result = await transport.send(request);
    expect(result).toMatchObject({ kind: 'response', status: 429 });
    expect(fake.requests).toHaveLength(1);
    const classified = destination.classify(result, request);
    expect(classified.signal).toEqual({
      kind: 'throttled',
      forMs: 5000,
      reason:
        'HTTP 429: rate limited (Segment asks for at most 1,000 requests per second per workspace): Too Many Requests',
    });
    expect(classified.items.every((outcome) => outcome.kind === 'retry' && outcome.afterMs === 5000)).toBe(
      true,
    );
  });

  it('retries a timeout and a refused connection', async () => {
    const slow = configured(fake.url, 300);
    fake.setFaults({ timeoutRate: 1 });
    const request = slow.destination.buildBatch(items).requests[0] as BuiltRequest;
    const timedOut = await slow.transport.send(request);
    expect(timedOut).toEqual({ kind: 'timeout' });
    expect(fake.requests).toHaveLength(1);

    const closed = await startFakeSegment();
    const url = closed.url;
    await closed.close();
    const nobody = configured(url);
    const refused = await nobody.transport.send(
      nobody.destination.buildBatch(items).requests[0] as BuiltRequest,
    );
    expect(refused).toMatchObject({
      kind: 'network',
      message: expect.stringContaining('ECONNREFUSED') as unknown,
    });
    expect(nobody.destination.classify(refused, request).items.map((outcome) => outcome.kind)).toEqual([
      'retry',
      'retry',
    ]);
  });

  it('sends one request at a time per client, each as its own call, and refuses to send once closed', async () => {
    const { destination, transport } = configured(fake.url);
    const [first, second] = items.map((item) => destination.buildBatch([item]).requests[0] as BuiltRequest);
    const results = await Promise.all([
      transport.send(first as BuiltRequest),
      transport.send(second as BuiltRequest),
    ]);
    expect(results.map((result) => result.kind === 'response' && result.status)).toEqual([200, 200]);
    expect(fake.requests.map((call) => (call.body as { batch: unknown[] }).batch.length)).toEqual([2, 3]);
    await transport.close();
    expect(await transport.send(first as BuiltRequest)).toEqual({
      kind: 'network',
      message: 'the Segment transport is closed',
    });
  });
});

describe('buildBatch limits', () => {
  const audiences = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'];
  const destination = () => {
    const segment = DESTINATIONS.segment;
    if (!segment) throw new Error('segment is not registered');
    return segment.configure(
      { write_key: KEY, host: 'https://api.segment.io' },
      { audiences, traits: ['notes'] },
    );
  };

  it("keeps a request under 500 messages, with each item's messages in one request", () => {
    // 100 items x (1 identify + 6 tracks) = 700 messages.
    const many = Array.from({ length: 100 }, (_, i) =>
      deliveryItem({
        profileId: `p${i}`,
        version: 1,
        identifiers: { userId: `u${i}` },
        audiences: Object.fromEntries(audiences.map((audience) => [audience, true])),
      }),
    );
    const built = destination().buildBatch(many);
    const sizes = built.requests.map((request) => (request.body as { batch: unknown[] }).batch.length);
    expect(sizes).toEqual([497, 203]);
    expect(built.requests.flatMap((request) => request.items)).toEqual(many.map((_, i) => i));
  });

  it('keeps a request under 450 KB and skips an item whose identify would be over 32 KB', () => {
    const notes = 'n'.repeat(20 * 1024);
    const items = Array.from({ length: 30 }, (_, i) =>
      deliveryItem({ profileId: `p${i}`, version: 1, identifiers: { userId: `u${i}` }, traits: { notes } }),
    );
    items.push(
      deliveryItem({
        profileId: 'big',
        version: 1,
        identifiers: { userId: 'big' },
        traits: { notes: notes.repeat(2) },
      }),
    );
    const built = destination().buildBatch(items);
    for (const request of built.requests)
      expect(Buffer.byteLength(JSON.stringify(request.body))).toBeLessThan(450 * 1024);
    expect(built.requests.map((request) => request.items.length)).toEqual([22, 8]);
    expect(built.skipped).toEqual([
      { item: 30, reason: expect.stringContaining("over Segment's 32 KB per event") as unknown },
    ]);
  });
});

describe('the delivery log body', () => {
  it('hashes userId and anonymousId and redacts e-mails in traits', () => {
    const { destination } = configured('https://api.segment.io');
    const request = destination.buildBatch(items).requests[0] as BuiltRequest;
    const logged = JSON.stringify(destination.redactBody(request.body));
    for (const raw of ['"u1"', 'anon-2', 'ada@example.com']) expect(logged).not.toContain(raw);
    expect(logged).toMatch(/"userId":"sha256:[0-9a-f]{16}"/);
    expect(logged).toMatch(/"email":"sha256:[0-9a-f]{16}"/);
    expect(logged).toContain('"messageId":"relay-p1-3-identify"');
  });
});
