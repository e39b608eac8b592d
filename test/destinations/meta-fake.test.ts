import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { BuiltRequest, DeliveryItem, HttpResult, KeySet } from '../../src/delivery/destination.js';
import { redactedForm } from '../../src/delivery/match-keys.js';
import { describeMetaRequest } from '../../src/destinations/meta/fake-describe.js';
import { startFakeMeta, type FakeMeta } from '../../src/destinations/meta/fake-server.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

/** The fake Meta Graph API over real HTTP, then builder -> fake -> classifier end to end. */

const TOKEN = 'test-meta-token';
const AUDIENCE_ID = '2384000000000001';
const meta = DESTINATIONS.meta_custom_audience!;
const HEX64 = /^[0-9a-f]{64}$/;
let fake: FakeMeta;

beforeAll(async () => {
  fake = await startFakeMeta({ seed: 7 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRateLimit({ requests: 190_000, windowMs: 3_600_000 });
});

function configure(settings: Record<string, unknown> = {}, mapping: Record<string, unknown> = {}) {
  return meta.configure(
    { endpoint: fake.url, access_token: TOKEN, audience_id: AUDIENCE_ID, ...settings },
    { audience: 'high_intent', match_keys: ['email', 'phone'], ...mapping },
  );
}

function person(n: number, overrides: Partial<DeliveryItem> = {}): DeliveryItem {
  return deliveryItem({
    profileId: `p${n}`,
    version: 1,
    identifiers: { email: `Person.${n}@Example.com` },
    knownTraits: { phone: `+1 (650) 555-${String(n).padStart(4, '0')}` },
    ...overrides,
  });
}

async function send(request: Pick<BuiltRequest, 'url' | 'method' | 'headers' | 'body'>): Promise<HttpResult> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: JSON.stringify(request.body),
  });
  return {
    kind: 'response',
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.json(),
  };
}

const users = (version = 'v27.0', audienceId = AUDIENCE_ID) => `${fake.url}/${version}/${audienceId}/users`;
const raw = (
  body: unknown,
  token: string | null = TOKEN,
  url = users(),
  method: BuiltRequest['method'] = 'POST',
) =>
  send({
    url,
    method,
    headers: {
      'Content-Type': 'application/json',
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
    },
    body,
  });
const hash = (n: number) => n.toString(16).padStart(64, '0');
const rows = (count: number) => Array.from({ length: count }, (_, n) => [hash(n + 1)]);
const errorOf = (result: HttpResult) =>
  (result.kind === 'response' ? (result.body as { error?: Record<string, unknown> }).error : undefined) ?? {};

describe('fake Meta /{audience_id}/users', () => {
  it('refuses a wrong token with 190 and a missing one with 104, both as HTTP 400 OAuthException', async () => {
    const body = { payload: { schema: ['EMAIL'], data: rows(1) } };
    const wrong = await raw(body, 'wrong-token');
    expect(wrong).toMatchObject({ status: 400 });
    expect(errorOf(wrong)).toMatchObject({ code: 190, type: 'OAuthException' });
    expect(errorOf(await raw(body, null))).toMatchObject({ code: 104 });
    expect(fake.accepted()).toHaveLength(0);
  });

  it('takes the token as access_token too, as Meta does', async () => {
    const result = await raw(
      { payload: { schema: ['EMAIL'], data: rows(1) } },
      null,
      `${users()}?access_token=${TOKEN}`,
    );
    expect(result).toMatchObject({ status: 200 });
  });

  it('refuses versions Meta retired (before v25.0) with 2635', async () => {
    const old = await raw({ payload: { schema: ['EMAIL'], data: rows(1) } }, TOKEN, users('v24.0'));
    expect(errorOf(old)).toMatchObject({ code: 2635 });
    expect((await raw({ payload: { schema: ['EMAIL'], data: rows(1) } }, TOKEN, users('v25.0'))).kind).toBe(
      'response',
    );
    expect(fake.accepted()).toHaveLength(1);
  });

  it('answers malformed bodies and more than 10,000 rows with error 100', async () => {
    for (const body of [
      {},
      { payload: { schema: ['EMAIL', 'PHONE'], data: [[hash(1)]] } },
      { payload: { schema: ['EMAIL', 'SHOE_SIZE'], data: [[hash(1), '42']] } },
      { payload: { schema: ['EMAIL'], data: [] } },
      { payload: { schema: ['EMAIL'], data: rows(10_001) } },
      { session: { session_id: -1, batch_seq: 1 }, payload: { schema: ['EMAIL'], data: rows(1) } },
    ]) {
      const answer = await raw(body);
      expect(answer).toMatchObject({ status: 400 });
      expect(errorOf(answer)).toMatchObject({ code: 100 });
    }
    expect((await raw({ payload: { schema: ['EMAIL'], data: rows(10_000) } })).kind).toBe('response');
    expect(fake.members(AUDIENCE_ID)).toHaveLength(10_000);
  });

  it('counts rows whose hashed fields are not SHA-256 as invalid entries, with samples, and keeps the rest', async () => {
    const answer = await raw({
      payload: {
        schema: ['EMAIL', 'EXTERN_ID'],
        data: [
          [hash(1), 'crm-1'],
          ['not-a-hash', 'crm-2'],
          ['', ''],
        ],
      },
    });
    expect(answer).toMatchObject({
      status: 200,
      body: {
        audience_id: AUDIENCE_ID,
        num_received: 3,
        num_invalid_entries: 2,
        invalid_entry_samples: {
          'not-a-hash': 'EMAIL is not a SHA-256 hash (64 hex characters)',
          'row 2': 'no field in the row',
        },
      },
    });
    expect(fake.members(AUDIENCE_ID)).toEqual([{ EMAIL: hash(1), EXTERN_ID: 'crm-1' }]);
  });

  it('removes every held row sharing a key with a removal row (Meta matches people on any key)', async () => {
    await raw({
      payload: {
        schema: ['EMAIL', 'PHONE'],
        data: [
          [hash(1), hash(2)],
          [hash(3), hash(4)],
        ],
      },
    });
    const removed = await raw(
      { payload: { schema: ['EMAIL'], data: [[hash(1)]] } },
      TOKEN,
      users(),
      'DELETE',
    );
    expect(removed).toMatchObject({ status: 200, body: { num_received: 1, num_invalid_entries: 0 } });
    expect(fake.members(AUDIENCE_ID)).toEqual([{ EMAIL: hash(3), PHONE: hash(4) }]);
  });

  it('answers a forced error until it is cleared', async () => {
    fake.forceError({ code: 100, subcode: 1713230, message: 'Invalid parameter' });
    expect(errorOf(await raw({ payload: { schema: ['EMAIL'], data: rows(1) } }))).toMatchObject({
      code: 100,
      error_subcode: 1713230,
    });
    fake.forceError(undefined);
    expect(await raw({ payload: { schema: ['EMAIL'], data: rows(1) } })).toMatchObject({ status: 200 });
  });
});

describe('meta_custom_audience against the fake', () => {
  it('adds people, then removes them: the audience holds their hashed rows, then nothing', async () => {
    const destination = configure();
    const entering = [1, 2, 3].map((n) => person(n, { audiences: { high_intent: true } }));
    const added = destination.buildBatch(entering);
    expect(added.requests).toHaveLength(1);
    const [add] = added.requests;
    expect(destination.classify(await send(add!), add!)).toEqual({
      items: [{ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' }],
      report: { received: 3, invalidEntries: 0 },
    });
    const members = fake.members(AUDIENCE_ID);
    expect(members).toHaveLength(3);
    for (const member of members) {
      expect(Object.keys(member)).toEqual(['EMAIL', 'PHONE']);
      expect(Object.values(member).every((value) => HEX64.test(value))).toBe(true);
    }

    // The ledger holds what each add recorded; the exits remove under those key sets.
    const held = add!.parts!.map((part) => part.hold!.high_intent as KeySet);
    const leaving = [1, 2, 3].map((n, index) =>
      person(n, {
        version: 2,
        identifiers: { email: `changed.${n}@example.com` },
        audiences: { high_intent: false },
        held: { high_intent: [held[index]!] },
      }),
    );
    const [remove] = destination.buildBatch(leaving).requests;
    expect(remove?.method).toBe('DELETE');
    expect(destination.classify(await send(remove!), remove!).items).toEqual([
      { kind: 'ok' },
      { kind: 'ok' },
      { kind: 'ok' },
    ]);
    expect(fake.members(AUDIENCE_ID)).toEqual([]);
  });

  it('sends 10,001 rows as one upload session of two requests', async () => {
    const destination = configure({}, { match_keys: ['email'] });
    const items = Array.from({ length: 10_001 }, (_, n) =>
      deliveryItem({
        profileId: `p${n}`,
        version: 1,
        identifiers: { email: `user${n}@example.com` },
        audiences: { high_intent: true },
      }),
    );
    const built = destination.buildBatch(items);
    expect(
      built.requests.map((request) => (request.body as { payload: { data: unknown[] } }).payload.data.length),
    ).toEqual([10_000, 1]);
    for (const request of built.requests) {
      expect(
        destination.classify(await send(request), request).items.every((outcome) => outcome.kind === 'ok'),
      ).toBe(true);
    }
    const sessions = Object.values(fake.sessions(AUDIENCE_ID));
    expect(sessions).toEqual([{ batches: [1, 2], complete: true, received: 10_001 }]);
    expect(fake.members(AUDIENCE_ID)).toHaveLength(10_001);
  });

  it('reports num_invalid_entries: the items are ok with a warning', async () => {
    const destination = configure({}, { match_keys: ['email'] });
    // A ledger entry that is not a hash (corrupted) reaches Meta as an invalid row.
    const leaving = [
      person(1, { audiences: { high_intent: false }, held: { high_intent: [{ EMAIL: hash(1) }] } }),
      person(2, { audiences: { high_intent: false }, held: { high_intent: [{ EMAIL: 'corrupted' }] } }),
    ];
    const [request] = destination.buildBatch(leaving).requests;
    const warning = 'Meta dropped 1 of 2 rows of the request as invalid; which ones cannot be told';
    expect(destination.classify(await send(request!), request!)).toEqual({
      items: [
        { kind: 'ok', warning },
        { kind: 'ok', warning },
      ],
      report: { received: 2, invalidEntries: 1 },
    });
  });

  it('turns the fake throttle (80003, HTTP 400, usage header) into a pause signal', async () => {
    fake.setRateLimit({ requests: 1, windowMs: 60_000 });
    const destination = configure();
    const build = (n: number) =>
      destination.buildBatch([person(n, { audiences: { high_intent: true } })]).requests[0]!;
    expect(destination.classify(await send(build(1)), build(1)).items).toEqual([{ kind: 'ok' }]);
    const request = build(2);
    const answer = await send(request);
    expect(answer).toMatchObject({ status: 400 });
    const classified = destination.classify(answer, request);
    expect(classified.signal).toMatchObject({ kind: 'throttled', forMs: 60_000 });
    expect(classified.items).toEqual([expect.objectContaining({ kind: 'retry', afterMs: 60_000 })]);
  });

  it('turns forced 613 and 190 answers into throttled and credentials signals, 1713230 into a reject', async () => {
    const destination = configure();
    const [request] = destination.buildBatch([person(1, { audiences: { high_intent: true } })]).requests;

    fake.forceError({
      code: 613,
      subcode: 1487742,
      message: 'Calls to this api have exceeded the rate limit.',
      regainMinutes: 3,
    });
    const throttled = destination.classify(await send(request!), request!);
    expect(throttled.signal).toMatchObject({ kind: 'throttled', forMs: 180_000 });

    fake.forceError({ code: 190, subcode: 463, message: 'Session has expired.' });
    const refused = destination.classify(await send(request!), request!);
    expect(refused.signal).toMatchObject({ kind: 'credentials' });
    expect(refused.items).toEqual([expect.objectContaining({ kind: 'retry' })]);

    fake.forceError({ code: 100, subcode: 1713230, message: 'Invalid parameter' });
    const blocked = destination.classify(await send(request!), request!);
    expect(blocked.signal).toBeUndefined();
    expect(blocked.items).toEqual([expect.objectContaining({ kind: 'reject' })]);
  });

  it('only hashes reach Meta: no e-mail, no phone digits, no token in any recorded body or URL', async () => {
    const destination = configure();
    const items = [1, 2].map((n) =>
      person(n, {
        identifiers: { email: ` John.Doe+promo${n}@GoogleMail.com ` },
        knownTraits: { phone: `+1 (650) 555-010${n}` },
        audiences: { high_intent: n === 1 },
        held: n === 2 ? { high_intent: [] } : {},
      }),
    );
    for (const request of destination.buildBatch(items).requests) await send(request);
    expect(fake.requests.length).toBe(2);
    for (const recorded of fake.requests) {
      const text = JSON.stringify(recorded.body);
      expect(text).not.toContain('@');
      expect(text).not.toMatch(/65055501|055501/);
      expect(text).not.toContain(TOKEN);
      expect(recorded.path).not.toContain('access_token');
      expect(recorded.headers.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });

  it('logs hashes as sent and MADID / EXTERN_ID in their redacted form', () => {
    const destination = configure({}, { match_keys: ['email', 'mobile_ad_id', 'userId'] });
    const [request] = destination.buildBatch([
      deliveryItem({
        profileId: 'p1',
        version: 1,
        identifiers: { userId: 'crm-42', email: 'ada@example.com' },
        knownTraits: { mobile_ad_id: 'AECE52E7-03EE-455A-B3C4-E57283966239' },
        audiences: { high_intent: true },
      }),
    ]).requests;
    const [[email, madid, externId]] = (request!.body as { payload: { data: string[][] } }).payload.data as [
      [string, string, string],
    ];
    expect(madid).toBe('aece52e7-03ee-455a-b3c4-e57283966239');
    expect(destination.redactBody(request!.body)).toEqual({
      payload: {
        schema: ['EMAIL', 'MADID', 'EXTERN_ID'],
        data: [[email, redactedForm(madid), redactedForm(externId)]],
      },
    });
  });

  it('describes a recorded request in one line, naming columns, not values', async () => {
    const destination = configure({ rows_per_request: 1 });
    const built = destination.buildBatch([1, 2].map((n) => person(n, { audiences: { high_intent: true } })));
    for (const request of built.requests) await send(request);
    const lines = fake.requests.map(describeMetaRequest);
    expect(lines[0]).toMatch(/^add 1 row to 2384000000000001 \(EMAIL, PHONE\), session \d+ batch 1$/);
    expect(lines[1]).toMatch(
      /^add 1 row to 2384000000000001 \(EMAIL, PHONE\), session \d+ batch 2 \(last\)$/,
    );
    expect(meta.fake?.describe(fake.requests[0]!)).toBe(lines[0]);
  });

  it('starts through its FakeDefinition on the port it is given', async () => {
    const definition = meta.fake!;
    expect(definition).toMatchObject({ port: 4103, credential: TOKEN, endpointEnv: 'META_GRAPH_URL' });
    const started = await definition.start({ port: 0 });
    try {
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await started.close();
    }
  });
});
