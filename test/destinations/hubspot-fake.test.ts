import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { BuiltRequest, DeliveryItem, HttpResult } from '../../src/delivery/destination.js';
import { startFakeHubspot, type FakeHubspot } from '../../src/destinations/hubspot/fake-server.js';
import { hubspotDestination } from '../../src/destinations/hubspot/index.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

const TOKEN = 'test-hubspot-token';
const UPSERT = '/crm/v3/objects/contacts/batch/upsert';
const EXISTING_LIST = 'Relay: existing';
const DYNAMIC_LIST = 'Engaged last 30 days';

let fake: FakeHubspot;

beforeAll(async () => {
  fake = await startFakeHubspot({
    lists: [
      { name: EXISTING_LIST, processingType: 'MANUAL' },
      { name: DYNAMIC_LIST, processingType: 'DYNAMIC' },
    ],
  });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRateLimit({ requests: 100, windowMs: 10_000 });
});

/** Sends a built request over real HTTP to the fake (its URL's origin replaced by the fake's). */
async function http(request: BuiltRequest): Promise<HttpResult> {
  const url = new URL(request.url);
  try {
    const response = await fetch(`${fake.url}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
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

/** `token: null` sends no Authorization header. */
async function send(
  body: unknown,
  token: string | null = TOKEN,
  path = UPSERT,
  method: BuiltRequest['method'] = 'POST',
): Promise<HttpResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  return http({ method, url: `http://fake${path}`, headers, body, items: [] });
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

describe('fake HubSpot versions and lists', () => {
  const lists = (version = '2026-03') => (version === 'v3' ? '/crm/v3/lists' : `/crm/lists/${version}`);
  const byName = (name: string, version?: string) =>
    `${lists(version)}/object-type-id/0-1/name/${encodeURIComponent(name)}`;
  const membership = (listId: string, body: unknown, action = 'add-and-remove') =>
    send(body, TOKEN, `${lists()}/${listId}/memberships/${action}`, 'PUT');
  const get = (path: string, token: string | null = TOKEN) => send(undefined, token, path, 'GET');

  it('upserts on the v3 and the date-versioned path, with the same stable record id per e-mail', async () => {
    const first = answer(await send({ inputs: [input('ada@example.com', 't1')] }));
    const second = answer(
      await send(
        { inputs: [input('ADA@example.com', 't2')] },
        TOKEN,
        '/crm/objects/2026-03/contacts/batch/upsert',
      ),
    );
    const [created] = first.body.results as { id: string }[];
    expect(second.body.results).toEqual([expect.objectContaining({ id: created?.id, new: false })]);
    fake.reset();
    await send({ inputs: [input('ada@example.com', 't3')] });
    expect(fake.recordId('ada@example.com')).toBe(created?.id);
    const unknown = answer(await send({ inputs: [] }, TOKEN, '/crm/objects/2026-13/contacts/batch/upsert'));
    expect(unknown.status).toBe(404);
  });

  it('finds a list by name on either path, answers 404 for a missing one, and wants the token', async () => {
    for (const version of ['2026-03', 'v3']) {
      const found = answer(await get(byName(EXISTING_LIST, version)));
      expect(found.status).toBe(200);
      expect(found.body.list).toMatchObject({ listId: '1', name: EXISTING_LIST, processingType: 'MANUAL' });
    }
    const missing = answer(await get(byName('Relay: nope')));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    expect(answer(await get(byName(EXISTING_LIST), null)).status).toBe(401);
  });

  it('creates a MANUAL list, refuses the same name again with 409 and a DYNAMIC one without filters', async () => {
    const body = { name: 'Relay: new', objectTypeId: '0-1', processingType: 'MANUAL' };
    const created = answer(await send(body, TOKEN, lists()));
    expect(created.status).toBe(200);
    expect(created.body.list).toMatchObject({
      name: 'Relay: new',
      processingType: 'MANUAL',
      objectTypeId: '0-1',
    });
    expect(answer(await send(body, TOKEN, lists())).status).toBe(409);
    const dynamic = answer(await send({ ...body, name: 'd', processingType: 'DYNAMIC' }, TOKEN, lists()));
    expect(dynamic.status).toBe(400);
    expect(fake.listMembers('Relay: new')).toEqual([]);
  });

  it('adds and removes members by record id, listing unknown ids and repeats in recordIdsMissing', async () => {
    await send({ inputs: [input('ada@example.com', 't1'), input('bob@example.com', 't2')] });
    const ada = fake.recordId('ada@example.com')!;
    const bob = fake.recordId('bob@example.com')!;
    const added = answer(await membership('1', { recordIdsToAdd: [ada, bob, '999'], recordIdsToRemove: [] }));
    expect(added.status).toBe(200);
    // The legacy spelling, as the fake emits it.
    expect(added.body).toEqual({
      recordIdsMissing: ['999'],
      recordIdsRemoved: [],
      recordsIdsAdded: [ada, bob],
    });
    expect(fake.listMembers(EXISTING_LIST)).toEqual(['ada@example.com', 'bob@example.com']);
    const again = answer(await membership('1', [ada], 'add'));
    expect(again.body).toMatchObject({ recordIdsMissing: [ada], recordsIdsAdded: [] });
    const removed = answer(await membership('1', [bob, bob], 'remove'));
    expect(removed.body).toMatchObject({ recordIdsRemoved: [bob], recordIdsMissing: [bob] });
    expect(fake.listMembers(EXISTING_LIST)).toEqual(['ada@example.com']);
  });

  it('refuses membership writes to a DYNAMIC list (400) and to an unknown list (404)', async () => {
    await send({ inputs: [input('ada@example.com', 't1')] });
    const ids = { recordIdsToAdd: [fake.recordId('ada@example.com')], recordIdsToRemove: [] };
    const dynamic = answer(await membership('2', ids));
    expect(dynamic.status).toBe(400);
    expect(dynamic.body.message).toMatch(/DYNAMIC/);
    expect(answer(await membership('77', ids)).status).toBe(404);
    expect(fake.listMembers(DYNAMIC_LIST)).toEqual([]);
  });
});

describe('hubspot prepare against the fake', () => {
  const configure = (audiences: Record<string, unknown>, api_version = '2026-03') =>
    DESTINATIONS.hubspot!.configure({ endpoint: fake.url, token: TOKEN, api_version }, { audiences });

  it('finds an existing list by name and creates a missing one as MANUAL', async () => {
    for (const version of ['2026-03', 'v3']) {
      fake.reset();
      const destination = configure(
        {
          old: { list: EXISTING_LIST },
          hot: { list: 'Relay: pricing_hot' },
          flag: { property: 'relay_flag' },
        },
        version,
      );
      await destination.prepare!(http);
      const calls = fake.requests.map((request) => `${request.method} ${request.status}`);
      expect(calls).toEqual(['GET 200', 'GET 404', 'POST 200']);
      expect(fake.requests[2]?.body).toEqual({
        name: 'Relay: pricing_hot',
        objectTypeId: '0-1',
        processingType: 'MANUAL',
      });
      expect(fake.listMembers('Relay: pricing_hot')).toEqual([]);
      // Prepared: a build now writes the found list (id 1) for a contact whose record id is known.
      const [request] = destination.buildBatch([
        deliveryItem({
          profileId: 'p1',
          version: 1,
          identifiers: { email: 'ada@example.com' },
          audiences: { old: true },
          memory: { hubspot_record_id: '1001' },
        }),
      ]).requests;
      expect(request?.url).toBe(
        version === 'v3'
          ? `${fake.url}/crm/v3/lists/1/memberships/add-and-remove`
          : `${fake.url}/crm/lists/2026-03/1/memberships/add-and-remove`,
      );
    }
  });

  it('refuses a DYNAMIC list with a clear error, and an unknown list_id', async () => {
    await expect(configure({ engaged: { list: DYNAMIC_LIST } }).prepare!(http)).rejects.toThrow(
      /audience engaged: HubSpot list "Engaged last 30 days" \(2\) is DYNAMIC: .*DYNAMIC lists cannot be written/,
    );
    await expect(configure({ engaged: { list_id: '2' } }).prepare!(http)).rejects.toThrow(/is DYNAMIC/);
    await expect(configure({ gone: { list_id: '404' } }).prepare!(http)).rejects.toThrow(
      'HubSpot has no list with list_id 404',
    );
    await expect(configure({ old: { list_id: '1' } }).prepare!(http)).resolves.toBeUndefined();
  });

  it('throws on a refused token, naming the call and the status', async () => {
    const destination = DESTINATIONS.hubspot!.configure(
      { endpoint: fake.url, token: 'wrong' },
      { audiences: { hot: { list: 'Relay: pricing_hot' } } },
    );
    await expect(destination.prepare!(http)).rejects.toThrow(
      /looking up list "Relay: pricing_hot": HubSpot 401 INVALID_AUTHENTICATION.*\(check the token\)/,
    );
  });
});

describe('hubspot list membership against the fake', () => {
  it('upserts an unknown contact first, remembers its record id, then adds it to the list and removes it again', async () => {
    const destination = DESTINATIONS.hubspot!.configure(
      { endpoint: fake.url, token: TOKEN },
      { traits: { lead_score: 'relay_lead_score' }, audiences: { hot: { list: 'Relay: pricing_hot' } } },
    );
    await destination.prepare!(http);
    const change = (version: number, member: boolean, memory: Record<string, string> = {}) =>
      deliveryItem({
        profileId: 'p1',
        version,
        identifiers: { email: 'ada@example.com' },
        audiences: { hot: member },
        traits: { lead_score: 82 },
        memory,
      });

    const first = destination.buildBatch([change(1, true)]);
    expect(first.requests.map((request) => request.method)).toEqual(['POST']);
    expect(first.deferred).toEqual([
      { item: 0, audiences: ['hot'], reason: 'waiting for the HubSpot record id', afterMs: 2000 },
    ]);
    const upserted = destination.classify(await http(first.requests[0]!), first.requests[0]!);
    const recordId = fake.recordId('ada@example.com')!;
    expect(upserted.items).toEqual([{ kind: 'ok', remember: { hubspot_record_id: recordId } }]);
    expect(fake.listMembers('Relay: pricing_hot')).toEqual([]);

    const memory = { hubspot_record_id: recordId };
    const added = destination.buildBatch([change(2, true, memory)]);
    const put = added.requests.find((request) => request.method === 'PUT')!;
    expect(put.body).toEqual({ recordIdsToAdd: [recordId], recordIdsToRemove: [] });
    expect(destination.classify(await http(put), put).items).toEqual([{ kind: 'ok' }]);
    expect(fake.listMembers('Relay: pricing_hot')).toEqual(['ada@example.com']);

    const removed = destination.buildBatch([{ ...change(3, false, memory), traits: {} }]);
    expect(removed.requests).toHaveLength(1);
    expect(destination.classify(await http(removed.requests[0]!), removed.requests[0]!).items).toEqual([
      { kind: 'ok' },
    ]);
    expect(fake.listMembers('Relay: pricing_hot')).toEqual([]);
  });

  it('retries an add of a record HubSpot does not know, and pauses on a 429 and a 401', async () => {
    const destination = DESTINATIONS.hubspot!.configure(
      { endpoint: fake.url, token: TOKEN },
      { audiences: { old: { list_id: '1' } } },
    );
    const item = deliveryItem({
      profileId: 'p1',
      version: 1,
      identifiers: { email: 'ada@example.com' },
      audiences: { old: true },
      memory: { hubspot_record_id: '424242' },
    });
    const [put] = destination.buildBatch([item]).requests;
    expect(destination.classify(await http(put!), put!).items).toEqual([
      expect.objectContaining({ kind: 'retry', reason: expect.stringMatching(/did not find record 424242/) }),
    ]);
    fake.setRateLimit({ requests: 0, windowMs: 10_000 });
    expect(destination.classify(await http(put!), put!).signal).toEqual(
      expect.objectContaining({ kind: 'throttled', forMs: 10_000 }),
    );
    fake.setRateLimit({ requests: 100, windowMs: 10_000 });
    const wrongToken = { ...put!, headers: { ...put!.headers, Authorization: 'Bearer wrong' } };
    const refused = destination.classify(await http(wrongToken), wrongToken);
    expect(refused.signal).toEqual(expect.objectContaining({ kind: 'credentials' }));
    expect(refused.items).toEqual([expect.objectContaining({ kind: 'retry' })]);
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
  const deliver = async (request: BuiltRequest) => destination.classify(await http(request), request).items;

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
    for (const request of built.requests) {
      // Both profiles learn the one contact's record id.
      expect(await deliver(request)).toEqual([
        { kind: 'ok', remember: { hubspot_record_id: fake.recordId('ada@example.com') } },
      ]);
    }
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

  it('takes { property }, { list } or { list_id }, exactly one, and one audience per list', () => {
    expect(
      parse({
        audiences: { a: { property: 'relay_a' }, b: { list: ' Relay: b ' }, c: { list_id: '21' } },
      }).data?.audiences,
    ).toEqual({
      a: { kind: 'property', property: 'relay_a' },
      b: { kind: 'list', name: 'Relay: b' },
      c: { kind: 'list', listId: '21' },
    });
    const oneOf =
      'give one of { property: <contact property> }, { list: <list name> } or { list_id: <list id> }';
    expect(messages({ audiences: { a: {} } })).toEqual([oneOf]);
    expect(messages({ audiences: { a: { property: 'x', list: 'y' } } })).toEqual([oneOf]);
    expect(messages({ audiences: { a: { list_id: 'abc' } } })[0]).toMatch(/list_id is the number/);
    expect(messages({ audiences: { a: { list: 'L' }, b: { list: 'L' } } })).toEqual([
      'audience b and audience a both write list "L"',
    ]);
  });

  it('reads api_version as v3 or YYYY-MM, 2026-03 by default', () => {
    const settings = (extra: object) =>
      hubspotDestination.settings.safeParse({ endpoint: 'https://api.hubapi.com', token: 't', ...extra });
    expect(settings({}).data?.api_version).toBe('2026-03');
    expect(settings({ api_version: 'v3' }).data?.api_version).toBe('v3');
    expect(settings({ api_version: '2026-09' }).data?.api_version).toBe('2026-09');
    for (const bad of ['v4', '2026-13', '2026-3', 'latest']) {
      expect(settings({ api_version: bad }).error?.issues[0]?.message).toMatch(/api_version must be "v3"/);
    }
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

describe('hubspot buildBatch with list audiences', () => {
  const destination = DESTINATIONS.hubspot!.configure(
    { endpoint: 'https://api.hubapi.com', token: TOKEN },
    { audiences: { a: { property: 'relay_a' }, l1: { list_id: '1' }, l2: { list_id: '2' } } },
  );
  let state = 11;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const maybe = () => (random() < 0.5 ? undefined : random() < 0.5);
  const hasListChange = (item: DeliveryItem) => 'l1' in item.audiences || 'l2' in item.audiences;

  it('settles every list change once: in one membership request for its list, or deferred', () => {
    for (let round = 0; round < 50; round++) {
      const items = Array.from({ length: Math.floor(random() * 150) }, (_, i) => {
        const audiences = Object.fromEntries(
          (['a', 'l1', 'l2'] as const).flatMap((name) => {
            const member = maybe();
            return member === undefined ? [] : [[name, member]];
          }),
        );
        const known = random() < 0.6;
        return deliveryItem({
          profileId: `p${i}`,
          version: 1,
          identifiers: { email: `u${Math.floor(random() * 40)}@x.io` },
          audiences,
          // Two profiles sharing an e-mail share a contact, hence a record id.
          ...(known ? { memory: { hubspot_record_id: String(1000 + (i % 30)) } } : {}),
        });
      });
      const built = destination.buildBatch(items);
      const carried: string[] = [];
      for (const request of built.requests) {
        const parts = request.parts ?? request.items.map(() => undefined);
        expect(parts).toHaveLength(request.items.length);
        if (request.method === 'PUT') {
          const body = request.body as { recordIdsToAdd: string[]; recordIdsToRemove: string[] };
          const ids = [...body.recordIdsToAdd, ...body.recordIdsToRemove];
          expect(new Set(ids).size).toBe(ids.length);
          request.items.forEach((item, position) => {
            expect(ids[position]).toBe(items[item]!.memory.hubspot_record_id);
            expect(parts[position]).toEqual({ audiences: [request.audience] });
            carried.push(`${item}:${request.audience}`);
          });
        } else if (request.items.some((item) => hasListChange(items[item]!))) {
          // The item's change is split across requests: the upsert names what it carries.
          expect(request.parts).toBeDefined();
        }
      }
      for (const deferred of built.deferred ?? []) {
        expect(items[deferred.item]!.memory.hubspot_record_id).toBeUndefined();
        for (const audience of deferred.audiences ?? []) carried.push(`${deferred.item}:${audience}`);
      }
      const expected = items.flatMap((item, i) =>
        ['l1', 'l2'].filter((name) => name in item.audiences).map((name) => `${i}:${name}`),
      );
      expect(carried.sort()).toEqual(expected.sort());
    }
  });
});
