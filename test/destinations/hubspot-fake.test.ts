import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { BuiltRequest, DeliveryItem, HttpResult } from '../../src/delivery/destination.js';
import { startFakeHubspot, type FakeHubspot } from '../../src/destinations/hubspot/fake-server.js';
import { hubspotDestination } from '../../src/destinations/hubspot/index.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

const TOKEN = 'test-hubspot-token';
const UPSERT = '/crm/v3/objects/contacts/batch/upsert';

let fake: FakeHubspot;

beforeAll(async () => {
  fake = await startFakeHubspot();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRateLimit({ requests: 100, windowMs: 10_000 });
});

/** `token: null` sends no Authorization header. */
async function send(body: unknown, token: string | null = TOKEN, path = UPSERT): Promise<HttpResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  try {
    const response = await fetch(`${fake.url}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(500),
    });
    return {
      kind: 'response',
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: (await response.json()) as unknown,
    };
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') return { kind: 'timeout' };
    return { kind: 'network', message: String(error) };
  }
}

function input(email: string, trace: string, properties: Record<string, unknown> = { relay_plan: 'pro' }) {
  return { idProperty: 'email', id: email, objectWriteTraceId: trace, properties };
}

function answer(result: HttpResult): {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
} {
  if (result.kind !== 'response') throw new Error(`no answer: ${result.kind}`);
  return { status: result.status, headers: result.headers, body: result.body as Record<string, unknown> };
}

describe('fake HubSpot contacts batch upsert', () => {
  it('refuses a missing or wrong bearer token with 401 INVALID_AUTHENTICATION', async () => {
    for (const token of [null, 'wrong-token']) {
      const { status, body } = answer(await send({ inputs: [input('ada@example.com', 't1')] }, token));
      expect(status).toBe(401);
      expect(body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
      expect(body.message).toMatch(/^Authentication credentials not found/);
    }
    expect(fake.contact('ada@example.com')).toBeUndefined();
    expect(answer(await send({ inputs: [input('ada@example.com', 't1')] })).status).toBe(200);
  });

  it('accepts 100 inputs and refuses 101 with 400', async () => {
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => input(`u${i}@example.com`, `t${i}`));
    const ok = answer(await send({ inputs: inputs(100) }));
    expect(ok.status).toBe(200);
    expect(ok.body.results).toHaveLength(100);
    const refused = answer(await send({ inputs: inputs(101) }));
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });

  it('refuses a batch naming one email twice (in any case) with 400 Duplicate IDs and context.ids', async () => {
    const { status, body } = answer(
      await send({ inputs: [input('ada@example.com', 't1'), input('ADA@example.com', 't2')] }),
    );
    expect(status).toBe(400);
    expect(body.message).toBe('Duplicate IDs found in batch input: [ada@example.com]. IDs must be unique');
    expect(body.context).toEqual({ ids: ['ada@example.com'] });
    expect(fake.contact('ada@example.com')).toBeUndefined();
  });

  it('answers 207 with results for the good inputs and errors naming the bad ones', async () => {
    const { status, body } = answer(
      await send({
        inputs: [
          input('ada@example.com', 't1'),
          input('bob@example.com', 't2', { relay_lead_score: 82 }),
          input('not-an-email', 't3'),
        ],
      }),
    );
    expect(status).toBe(207);
    expect(body).toMatchObject({ status: 'COMPLETE', numErrors: 2 });
    expect(body.results).toEqual([
      expect.objectContaining({ id: expect.any(String), new: true, objectWriteTraceId: 't1' }),
    ]);
    expect(body.errors).toEqual([
      expect.objectContaining({
        status: 'error',
        category: 'VALIDATION_ERROR',
        context: { objectWriteTraceId: ['t2'] },
      }),
      expect.objectContaining({ category: 'VALIDATION_ERROR', context: { objectWriteTraceId: ['t3'] } }),
    ]);
    expect(fake.contact('ada@example.com')).toEqual({ email: 'ada@example.com', relay_plan: 'pro' });
    expect(fake.contact('bob@example.com')).toBeUndefined();
  });

  it('updates a contact in place: same record id, new:false, "" clears a property', async () => {
    const first = answer(await send({ inputs: [input('ada@example.com', 't1', { a: '1', b: '2' })] }));
    const second = answer(await send({ inputs: [input('Ada@Example.com', 't2', { a: '', c: '3' })] }));
    const [created] = first.body.results as { id: string; new: boolean }[];
    const [updated] = second.body.results as { id: string; new: boolean }[];
    expect(created?.new).toBe(true);
    expect(updated).toMatchObject({ id: created?.id, new: false });
    expect(fake.contact('ADA@example.com')).toEqual({ email: 'ada@example.com', b: '2', c: '3' });
  });

  it('sends X-HubSpot-RateLimit-* headers and answers 429 TEN_SECONDLY_ROLLING once over the limit', async () => {
    fake.setRateLimit({ requests: 2, windowMs: 60_000 });
    const first = answer(await send({ inputs: [input('a@example.com', 't1')] }));
    expect(first.headers['x-hubspot-ratelimit-max']).toBe('2');
    expect(first.headers['x-hubspot-ratelimit-remaining']).toBe('1');
    expect(first.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('60000');
    await send({ inputs: [input('b@example.com', 't2')] });
    const throttled = answer(await send({ inputs: [input('c@example.com', 't3')] }));
    expect(throttled.status).toBe(429);
    expect(throttled.body).toMatchObject({
      status: 'error',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
      message: 'You have reached your ten_secondly_rolling limit.',
    });
    expect(throttled.headers['x-hubspot-ratelimit-remaining']).toBe('0');
    expect(fake.contact('c@example.com')).toBeUndefined();
  });

  it('injects faults: down, server errors, unanswered requests', async () => {
    const body = { inputs: [input('ada@example.com', 't1')] };
    fake.setFaults({ down: true });
    expect(answer(await send(body)).status).toBe(503);
    fake.setFaults({ errorRate: 1 });
    expect([500, 502]).toContain(answer(await send(body)).status);
    fake.setFaults({ timeoutRate: 1 });
    expect(await send(body)).toEqual({ kind: 'timeout' });
    fake.setFaults({});
    expect(answer(await send(body)).status).toBe(200);
    expect(fake.accepted()).toHaveLength(1);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const { status, body } = answer(await send({}, TOKEN, '/crm/v3/objects/contacts/batch/nope'));
    expect(status).toBe(404);
    expect(body).toMatchObject({ status: 'error' });
  });
});

describe('hubspot destination against the fake', () => {
  const destination = DESTINATIONS.hubspot!.configure(
    { endpoint: 'http://placeholder', token: TOKEN },
    {
      audiences: { high_intent: { property: 'relay_high_intent' } },
      traits: { lead_score: 'relay_lead_score' },
    },
  );
  const item = (profileId: string, email: string | undefined, score: number): DeliveryItem =>
    deliveryItem({
      profileId,
      version: 1,
      identifiers: email === undefined ? {} : { email },
      audiences: { high_intent: true },
      traits: { lead_score: score },
    });
  const deliver = async (request: BuiltRequest) =>
    destination.classify(await send(request.body, request.headers.Authorization?.slice(7) ?? null), request)
      .items;

  it('writes the contacts and gets one outcome per item, a bad address rejected alone', async () => {
    const built = destination.buildBatch([
      item('p1', 'ada@example.com', 82),
      item('p2', 'eve@localhost', 10),
      item('p3', 'bob@example.com', 40),
    ]);
    expect(built.requests).toHaveLength(1);
    const outcomes = await deliver(built.requests[0]!);
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['ok', 'reject', 'ok']);
    expect(fake.contact('ada@example.com')).toEqual({
      email: 'ada@example.com',
      relay_high_intent: 'true',
      relay_lead_score: '82',
    });
  });

  it('delivers two profiles sharing an email in two requests HubSpot accepts', async () => {
    const built = destination.buildBatch([
      item('p1', 'ada@example.com', 1),
      item('p2', 'ADA@example.com', 2),
    ]);
    expect(built.requests).toHaveLength(2);
    for (const request of built.requests) expect(await deliver(request)).toEqual([{ kind: 'ok' }]);
    expect(fake.contact('ada@example.com')?.relay_lead_score).toBe('2');
  });

  it('turns the fake 429 into a retry after 10 s, and a silent 200 into a retry', async () => {
    const [request] = destination.buildBatch([item('p1', 'ada@example.com', 1)]).requests;
    fake.setRateLimit({ requests: 0, windowMs: 10_000 });
    expect(await deliver(request!)).toEqual([expect.objectContaining({ kind: 'retry', afterMs: 10_000 })]);
    fake.setRateLimit({ requests: 100, windowMs: 10_000 });
    fake.setSilentFailure(true);
    expect(await deliver(request!)).toEqual([expect.objectContaining({ kind: 'retry' })]);
    expect(fake.contact('ada@example.com')).toBeUndefined();
  });

  it('keeps email addresses out of the logged body', () => {
    const [request] = destination.buildBatch([item('p1', 'ada@example.com', 1)]).requests;
    const logged = JSON.stringify(destination.redactBody(request!.body));
    expect(logged).not.toContain('ada@example.com');
    expect(logged).toMatch(/"id":"sha256:[0-9a-f]{16}"/);
  });
});

describe('hubspot mapping', () => {
  const parse = (mapping: unknown) => hubspotDestination.mapping.safeParse(mapping);
  const messages = (mapping: unknown) => parse(mapping).error?.issues.map((issue) => issue.message) ?? [];

  it('refuses list membership by list_id with a clear message', () => {
    expect(messages({ audiences: { high_intent: { list_id: '123' } } })).toEqual([
      expect.stringContaining('list membership needs HubSpot record ids; use { property: ... } for now'),
    ]);
  });

  it('defaults identify_by to email and refuses anything else', () => {
    expect(parse({}).data).toEqual({ identify_by: 'email', traits: {}, audiences: {} });
    expect(parse({ identify_by: 'userId' }).success).toBe(false);
  });

  it('refuses two writers of one property, writing email, and unknown keys', () => {
    expect(messages({ traits: { a: 'x' }, audiences: { b: { property: 'x' } } })).toEqual([
      'audience b and trait a both write property "x"',
    ]);
    expect(messages({ traits: { email: 'email' } })[0]).toMatch(/cannot write "email"/);
    expect(parse({ audience: { a: { property: 'x' } } }).success).toBe(false);
  });
});

describe('hubspot buildBatch and classify invariants', () => {
  const destination = DESTINATIONS.hubspot!.configure(
    { endpoint: 'https://api.hubapi.com', token: TOKEN },
    { audiences: { a: { property: 'relay_a' } } },
  );
  let state = 7;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;

  it('puts every item in exactly one request or skipped, <= 100 unique emails per request', () => {
    for (let round = 0; round < 50; round++) {
      const items: DeliveryItem[] = Array.from({ length: Math.floor(random() * 260) }, (_, i) =>
        deliveryItem({
          profileId: `p${i}`,
          version: 1,
          identifiers: random() < 0.1 ? {} : { email: `U${Math.floor(random() * 40)}@x.io` },
          audiences: { a: random() < 0.5 },
          traits: {},
        }),
      );
      const built = destination.buildBatch(items);
      const placed = [
        ...built.requests.flatMap((request) => request.items),
        ...built.skipped.map((s) => s.item),
      ];
      expect(placed.sort((x, y) => x - y)).toEqual(items.map((_, i) => i));
      for (const request of built.requests) {
        const ids = (request.body as { inputs: { id: string }[] }).inputs.map((input) => input.id);
        expect(ids.length).toBeLessThanOrEqual(100);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual(request.items.map((i) => items[i]!.identifiers.email!.toLowerCase()));
        const outcomes = destination.classify(
          {
            kind: 'response',
            status: 207,
            headers: {},
            body: { results: [], errors: [{ context: { ids } }] },
          },
          request,
        ).items;
        expect(outcomes).toHaveLength(request.items.length);
        expect(outcomes.every((outcome) => outcome.kind === 'reject')).toBe(true);
      }
    }
  });
});
