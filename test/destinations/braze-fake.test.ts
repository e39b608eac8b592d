import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { DeliveryItem, HttpResult } from '../../src/delivery/destination.js';
import { startFakeBraze, type FakeBraze } from '../../src/destinations/braze/fake-server.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

/** The fake Braze over real HTTP, then builder -> fake -> classifier end to end. */

const KEY = 'test-braze-key';
let fake: FakeBraze;

beforeAll(async () => {
  fake = await startFakeBraze({ seed: 7 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRateLimit({ requests: 3000, windowMs: 3000 });
});

/** `key: null` sends no Authorization header. */
async function track(body: unknown, key: string | null = KEY, timeoutMs = 2000) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (key !== null) headers.Authorization = `Bearer ${key}`;
  const response = await fetch(`${fake.url}/users/track`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const attrs = (count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({ external_id: `u${from + i}`, segment_high_intent: true }));

describe('fake Braze /users/track', () => {
  it('refuses a missing or wrong Bearer key with 401 Invalid API Key', async () => {
    for (const key of [null, 'wrong-key']) {
      const answer = await track({ attributes: attrs(1) }, key);
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual({ message: 'Invalid API Key' });
    }
    expect(fake.accepted()).toHaveLength(0);
  });

  it('accepts 75 attributes with 201 success and refuses 76 with 400 Max Input Length Exceeded', async () => {
    const ok = await track({ attributes: attrs(75) });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ message: 'success', attributes_processed: 75 });
    const tooMany = await track({ attributes: attrs(76) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toEqual({ message: 'Max Input Length Exceeded' });
    const events = Array.from({ length: 76 }, (_, i) => ({
      external_id: `u${i}`,
      name: 'x',
      time: '2026-01-01T00:00:00Z',
    }));
    expect((await track({ events })).status).toBe(400);
  });

  it('applies the combined limit when configured (newer contracts)', async () => {
    const combined = await startFakeBraze({ combinedLimit: 75 });
    try {
      const events = [{ external_id: 'u0', name: 'audience_entered', time: '2026-01-01T00:00:00Z' }];
      const response = await fetch(`${combined.url}/users/track`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ attributes: attrs(75), events }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ message: 'Max Input Length Exceeded' });
    } finally {
      await combined.close();
    }
  });

  it('refuses an empty body with 400 Valid data must be provided', async () => {
    for (const body of [{}, { attributes: [] }, { attributes: [], events: [], purchases: [] }]) {
      const answer = await track(body);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toBe(
        "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.",
      );
    }
  });

  it('lists objects without an identifier in errors inside a 201, and applies the rest', async () => {
    const answer = await track({
      attributes: [{ external_id: 'u1', lead_score: 5 }, { lead_score: 9 }],
      events: [
        { email: 'a@example.com', name: 'audience_entered', time: '2026-01-02T03:04:05Z' },
        { name: 'x' },
      ],
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      message: 'success',
      attributes_processed: 1,
      events_processed: 1,
      errors: [
        {
          type: "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required",
          input_array: 'attributes',
          index: 1,
        },
        {
          type: "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required",
          input_array: 'events',
          index: 1,
        },
      ],
    });
    expect(fake.attributesFor('u1')).toEqual({ lead_score: 5 });
    expect(fake.eventsFor('a@example.com')).toHaveLength(1);
  });

  it('answers 400 with the errors when no object is valid', async () => {
    const answer = await track({ attributes: [{ lead_score: 1 }] });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([expect.objectContaining({ input_array: 'attributes', index: 0 })]);
  });

  it('sends X-RateLimit-* on every answer and a 429 with Retry-After once throttled', async () => {
    fake.setRateLimit({ requests: 2, windowMs: 60_000 });
    const first = await track({ attributes: attrs(1) });
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    const wrongKey = await track({ attributes: attrs(1) }, 'nope');
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.headers.get('x-ratelimit-remaining')).toBe('0');
    const throttled = await track({ attributes: attrs(1) });
    expect(throttled.status).toBe(429);
    expect(throttled.body).toEqual({ message: 'Rate limit exceeded' });
    expect(throttled.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(throttled.headers.get('x-ratelimit-reset'));
    expect(reset * 1000).toBeGreaterThan(Date.now() + 50_000);
    expect(reset * 1000).toBeLessThanOrEqual(Date.now() + 61_000);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(50);
  });

  it('injects faults: down, server errors and unanswered requests', async () => {
    fake.setFaults({ down: true });
    expect((await track({ attributes: attrs(1) })).status).toBe(503);
    fake.setFaults({ errorRate: 1 });
    expect([500, 502]).toContain((await track({ attributes: attrs(1) })).status);
    fake.setFaults({ timeoutRate: 1 });
    await expect(track({ attributes: attrs(1) }, KEY, 200)).rejects.toThrow();
    fake.setFaults({});
    expect((await track({ attributes: attrs(1) })).status).toBe(201);
    expect(fake.attributesFor('u0')).toEqual({ segment_high_intent: true });
  });

  it('merges accepted attribute objects per user in arrival order (null removes, inc adds)', async () => {
    await track({
      attributes: [{ external_id: 'u1', segment_high_intent: true, lead_score: 40, visits: { inc: 1 } }],
    });
    await track({
      attributes: [{ external_id: 'u1', segment_high_intent: false, rfm_tier: 'loyal', visits: { inc: 2 } }],
    });
    await track({ attributes: [{ external_id: 'u1', lead_score: null }] }, 'wrong-key'); // refused: no effect
    await track({ attributes: [{ external_id: 'u1', lead_score: null }] });
    expect(fake.attributesFor('u1')).toEqual({ segment_high_intent: false, rfm_tier: 'loyal', visits: 3 });
    expect(fake.attributesFor('nobody')).toEqual({});
  });
});

describe('braze destination against the fake', () => {
  const braze = DESTINATIONS.braze!;
  const item = (
    n: number,
    audiences: Record<string, boolean>,
    traits: Record<string, unknown> = {},
  ): DeliveryItem =>
    deliveryItem({ profileId: `p${n}`, version: 1, identifiers: { userId: `u${n}` }, audiences, traits });

  async function send(request: {
    url: string;
    method: string;
    headers: Record<string, string>;
    body: unknown;
  }) {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: JSON.stringify(request.body),
    });
    const result: HttpResult = {
      kind: 'response',
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.json(),
    };
    return result;
  }

  it('delivers 80 profiles with events in requests the combined-75 fake accepts', async () => {
    const strict = await startFakeBraze({ combinedLimit: 75 });
    try {
      const destination = braze.configure(
        { endpoint: `${strict.url}/`, api_key: KEY },
        { audiences: ['high_intent'], traits: ['rfm.tier'], send_events: true },
      );
      const items = Array.from({ length: 80 }, (_, n) =>
        item(n, { high_intent: n % 2 === 0 }, { 'rfm.tier': 'loyal' }),
      );
      const built = destination.buildBatch(items);
      expect(built.skipped).toEqual([]);
      for (const request of built.requests) {
        const outcomes = destination.classify(await send(request), request).items;
        expect(outcomes).toEqual(request.items.map(() => ({ kind: 'ok' })));
      }
      expect(strict.attributesFor('u3')).toEqual({ segment_high_intent: false, rfm_tier: 'loyal' });
      expect(strict.eventsFor('u4').map((event) => event.name)).toEqual(['audience_entered']);
      expect(strict.accepted().length).toBe(built.requests.length);
    } finally {
      await strict.close();
    }
  });

  it('rejects only the item Braze names in a partial failure', async () => {
    fake.setRejection((array, object) =>
      array === 'attributes' && object.external_id === 'u2' ? "'x' is not valid" : undefined,
    );
    const destination = braze.configure({ endpoint: fake.url, api_key: KEY }, { audiences: ['high_intent'] });
    const built = destination.buildBatch([
      item(1, { high_intent: true }),
      item(2, { high_intent: true }),
      item(3, { high_intent: false }),
    ]);
    const [request] = built.requests;
    const outcomes = destination.classify(await send(request!), request!).items;
    expect(outcomes).toEqual([
      { kind: 'ok' },
      { kind: 'reject', reason: "'x' is not valid" },
      { kind: 'ok' },
    ]);
  });

  it('turns the fake 429 into a retry after the reset', async () => {
    fake.setRateLimit({ requests: 0, windowMs: 5000 });
    const destination = braze.configure({ endpoint: fake.url, api_key: KEY }, { audiences: ['high_intent'] });
    const [request] = destination.buildBatch([item(1, { high_intent: true })]).requests;
    const [outcome] = destination.classify(await send(request!), request!).items;
    expect(outcome).toMatchObject({ kind: 'retry' });
    expect(outcome?.kind === 'retry' && outcome.afterMs).toBeGreaterThanOrEqual(1000);
  });

  it('keeps identifiers and keys out of the logged body', () => {
    const destination = braze.configure(
      { endpoint: fake.url, api_key: KEY },
      { identify_by: 'email', audiences: ['high_intent'] },
    );
    const [request] = destination.buildBatch([
      { ...item(1, { high_intent: true }), identifiers: { email: 'ada@example.com' } },
    ]).requests;
    const logged = JSON.stringify(destination.redactBody({ ...(request!.body as object), api_key: KEY }));
    expect(logged).not.toContain('ada@example.com');
    expect(logged).not.toContain(KEY);
    expect(logged).toMatch(/"email":"sha256:[0-9a-f]{16}"/);
  });

  it('refuses mappings with typos or colliding attribute names, naming the field', () => {
    const settings = { endpoint: fake.url, api_key: KEY };
    expect(() => braze.configure(settings, { audience: ['high_intent'] })).toThrow(/audience/);
    expect(() => braze.configure(settings, { traits: ['rfm.tier', 'rfm_tier'] })).toThrow(/rfm_tier/);
    expect(() => braze.configure({ endpoint: 'ftp://x', api_key: KEY }, {})).toThrow(/endpoint/);
  });
});
