import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type {
  BuiltRequest,
  ConfiguredDestination,
  DeliveryItem,
  HttpResult,
} from '../../src/delivery/destination.js';
import { createHttpClient, send } from '../../src/delivery/http-client.js';
import { sha256Hex } from '../../src/lib/hash.js';
import { startFakeGoogle, type FakeGoogle } from '../../src/destinations/google/fake-server.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

/** The fake Data Manager API over real HTTP, then builder -> fake -> classifier (and the status poll) end to end. */

const TOKEN = 'test-google-token';
const LIST = '987';
const MAPPING = {
  audience: 'high_intent',
  match_keys: ['email', 'phone', 'first_name', 'last_name', 'country', 'postal_code'],
  terms_of_service_accepted: true,
};
const emailKey = (email: string) => `emailAddress:${sha256Hex(email)}`;

let fake: FakeGoogle;
const http = createHttpClient(10_000);

beforeAll(async () => {
  fake = await startFakeGoogle();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRateLimit({ requests: 300, windowMs: 60_000 });
});

function destination(settings: Record<string, unknown> = {}): ConfiguredDestination {
  return DESTINATIONS.google_customer_match!.configure(
    {
      endpoint: fake.url,
      access_token: TOKEN,
      operating_account_id: '1234567890',
      user_list_id: LIST,
      ...settings,
    },
    MAPPING,
  );
}

const enter = (profileId: string, email: string, traits: Record<string, unknown> = {}): DeliveryItem =>
  deliveryItem({ profileId, version: 1, identifiers: { email }, audiences: { high_intent: true }, traits });

/** POSTs a raw body to a fake path, answering like the core's HTTP client. */
function post(path: string, body: unknown, token: string | null = TOKEN): Promise<HttpResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  return send(http, { method: 'POST', url: `${fake.url}${path}`, headers, body, items: [] });
}

function errorOf(result: HttpResult) {
  if (result.kind !== 'response') throw new Error(`no answer: ${result.kind}`);
  return (result.body as { error: { code: number; status: string; details?: Record<string, unknown>[] } })
    .error;
}

function violationsOf(result: HttpResult): string[] {
  const details = errorOf(result).details ?? [];
  return details.flatMap((detail) =>
    ((detail.fieldViolations ?? []) as { field: string; reason: string }[]).map(
      (v) => `${v.field} ${v.reason}`,
    ),
  );
}

const validBody = (members: unknown[], extra: Record<string, unknown> = {}) => ({
  destinations: [
    { operatingAccount: { accountType: 'GOOGLE_ADS', accountId: '1' }, productDestinationId: LIST },
  ],
  audienceMembers: members,
  encoding: 'HEX',
  termsOfService: { customerMatchTermsOfServiceStatus: 'ACCEPTED' },
  ...extra,
});
const emailMember = (email: string) => ({
  userData: { userIdentifiers: [{ emailAddress: sha256Hex(email) }] },
});

describe('fake Data Manager API', () => {
  it('refuses a missing or wrong bearer token with 401 UNAUTHENTICATED in the google.rpc shape', async () => {
    for (const token of [null, 'wrong-token']) {
      const answer = await post(
        '/v1/audienceMembers:ingest',
        validBody([emailMember('a@example.com')]),
        token,
      );
      expect(answer).toMatchObject({ kind: 'response', status: 401 });
      expect(errorOf(answer)).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    }
    expect(fake.accepted()).toHaveLength(0);
  });

  it('checks the body field by field and names the bad member', async () => {
    const noEncoding = await post(
      '/v1/audienceMembers:ingest',
      validBody([emailMember('a@example.com')], { encoding: undefined }),
    );
    expect(violationsOf(noEncoding)).toEqual(['encoding REQUIRED_FIELD_MISSING']);
    const noTerms = await post(
      '/v1/audienceMembers:ingest',
      validBody([emailMember('a@example.com')], { termsOfService: undefined }),
    );
    expect(violationsOf(noTerms)).toEqual([
      'terms_of_service.customer_match_terms_of_service_status TERMS_AND_CONDITIONS_NOT_SIGNED',
    ]);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ emailAddress: sha256Hex(`${i}@example.com`) }));
    const tooMany = await post(
      '/v1/audienceMembers:ingest',
      validBody([emailMember('a@example.com'), { userData: { userIdentifiers: eleven } }]),
    );
    expect(violationsOf(tooMany)).toEqual([
      'audience_members[1].user_data.user_identifiers TOO_MANY_USER_IDENTIFIERS',
    ]);
    const badHash = await post(
      '/v1/audienceMembers:ingest',
      validBody([emailMember('a@example.com'), { userData: { userIdentifiers: [{ phoneNumber: 'abc' }] } }]),
    );
    expect(violationsOf(badHash)).toEqual([
      'audience_members[1].user_data.user_identifiers[0].phone_number INVALID_HEX_ENCODING',
    ]);
    // Remove takes no consent: an unknown field, as protobuf JSON parsing answers it.
    const removeWithConsent = await post('/v1/audienceMembers:remove', {
      ...validBody([emailMember('a@example.com')], { termsOfService: undefined }),
      consent: { adUserData: 'CONSENT_GRANTED' },
    });
    expect(errorOf(removeWithConsent)).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const members = Array.from({ length: 10_001 }, (_, i) => emailMember(`${i}@example.com`));
    expect(violationsOf(await post('/v1/audienceMembers:ingest', validBody(members)))).toEqual([
      'audience_members TOO_MANY_AUDIENCE_MEMBERS',
    ]);
    expect(fake.identifiers(LIST)).toEqual([]);
  });

  it('answers 429 RESOURCE_EXHAUSTED past the per-minute quota, without Retry-After', async () => {
    fake.setRateLimit({ requests: 1, windowMs: 60_000 });
    expect(await post('/v1/audienceMembers:ingest', validBody([emailMember('a@example.com')]))).toMatchObject(
      { status: 200 },
    );
    const throttled = await post('/v1/audienceMembers:ingest', validBody([emailMember('b@example.com')]));
    expect(errorOf(throttled)).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    expect(throttled.kind === 'response' && throttled.headers['retry-after']).toBe(undefined);
  });

  it('answers requestStatus:retrieve by GET only, 404 for an unknown request id', async () => {
    const get = (query: string) =>
      send(http, {
        method: 'GET',
        url: `${fake.url}/v1/requestStatus:retrieve${query}`,
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: undefined,
        items: [],
      });
    expect(errorOf(await get('?requestId=nope'))).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(violationsOf(await get(''))).toEqual(['request_id REQUIRED_FIELD_MISSING']);
    expect(errorOf(await post('/v1/requestStatus:retrieve', { requestId: 'x' }))).toMatchObject({
      code: 404,
    });
  });
});

describe('google_customer_match: builder -> fake -> classifier', () => {
  async function deliver(configured: ConfiguredDestination, requests: BuiltRequest[]) {
    const answers = [];
    for (const request of requests) {
      const result = await send(http, request);
      answers.push({ request, result, classified: configured.classify(result, request) });
    }
    return answers;
  }

  it('ingests three people, then removes one under the key set it was added by', async () => {
    const configured = destination();
    const built = configured.buildBatch([
      enter('p1', 'ada@example.com'),
      enter('p2', 'bob@example.com', { phone: '+1 (650) 555-0100' }),
      enter('p3', 'carol@example.com'),
    ]);
    const [added] = await deliver(configured, built.requests);
    expect(added?.classified.items).toEqual([{ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' }]);
    expect(added?.classified.report?.asyncId).toMatch(/^[0-9a-f-]{36}$/);
    const heldByBob = added?.request.parts?.[1]?.hold?.high_intent;
    expect(fake.identifiers(LIST)).toEqual(
      [
        emailKey('ada@example.com'),
        emailKey('bob@example.com'),
        emailKey('carol@example.com'),
        `phoneNumber:${sha256Hex('+16505550100')}`,
      ].sort(),
    );

    // Bob changed his e-mail since; the exit still removes what Google holds.
    const exit = deliveryItem({
      profileId: 'p2',
      version: 2,
      identifiers: { email: 'bob.new@example.com' },
      audiences: { high_intent: false },
      held: { high_intent: [heldByBob!] },
    });
    const [removed] = await deliver(configured, configured.buildBatch([exit]).requests);
    expect(removed?.request.url).toBe(`${fake.url}/v1/audienceMembers:remove`);
    expect(removed?.classified.items).toEqual([{ kind: 'ok' }]);
    expect(fake.identifiers(LIST)).toEqual(
      [emailKey('ada@example.com'), emailKey('carol@example.com')].sort(),
    );
  });

  it('a 400 naming one member rejects only that item; the others, resent, are held', async () => {
    const configured = destination();
    const items = [
      enter('p1', 'ada@example.com'),
      enter('p2', 'bob@example.com'),
      enter('p3', 'carol@example.com'),
    ];
    const [request] = configured.buildBatch(items).requests;
    // A corrupted hash (the builder never sends one) stands for whatever Google refuses in a member.
    const body = structuredClone(request!.body) as {
      audienceMembers: { userData: { userIdentifiers: object[] } }[];
    };
    body.audienceMembers[1]!.userData.userIdentifiers[0] = { emailAddress: 'f'.repeat(63) };
    const [refused] = await deliver(configured, [{ ...request!, body }]);
    expect(refused?.result).toMatchObject({ status: 400 });
    expect(refused?.classified.items.map((outcome) => outcome.kind)).toEqual(['retry', 'reject', 'retry']);
    expect(refused?.classified.items[1]).toMatchObject({
      reason: expect.stringContaining('INVALID_HEX_ENCODING'),
    });
    expect(fake.identifiers(LIST)).toEqual([]);

    const retried = refused!.classified.items.flatMap((outcome, index) =>
      outcome.kind === 'retry' ? [items[index]!] : [],
    );
    const [resent] = await deliver(configured, configured.buildBatch(retried).requests);
    expect(resent?.classified.items).toEqual([{ kind: 'ok' }, { kind: 'ok' }]);
    expect(fake.identifiers(LIST)).toEqual(
      [emailKey('ada@example.com'), emailKey('carol@example.com')].sort(),
    );
  });

  it('10,001 entering people are two requests of 10,000 and 1, all held', async () => {
    const configured = destination();
    const items = Array.from({ length: 10_001 }, (_, i) => enter(`p${i}`, `person${i}@example.com`));
    const built = configured.buildBatch(items);
    expect(built.requests.map((request) => request.items.length)).toEqual([10_000, 1]);
    const answers = await deliver(configured, built.requests);
    expect(answers.map((answer) => answer.result)).toMatchObject([{ status: 200 }, { status: 200 }]);
    expect(fake.identifiers(LIST)).toHaveLength(10_001);
  });

  it('polls requestStatus:retrieve until the result: PROCESSING, then SUCCESS with counts', async () => {
    fake.setProcessingPolls(1);
    const configured = destination();
    const built = configured.buildBatch([
      enter('p1', 'ada@example.com', { phone: '+4915112345678' }),
      enter('p2', 'bob@example.com'),
    ]);
    const [added] = await deliver(configured, built.requests);
    const poll = configured.asyncResult!;
    const statusRequest = poll.request(added!.classified.report!.asyncId!);
    expect(statusRequest.method).toBe('GET');
    expect(poll.read(await send(http, statusRequest))).toEqual({ state: 'pending' });
    expect(poll.read(await send(http, statusRequest))).toEqual({
      state: 'done',
      status: 'SUCCESS',
      detail: 'list 987: SUCCESS; 2 records, 3 identifiers, match rate not_eligible',
    });
  });

  it('reports a malformed member as PARTIAL_SUCCESS when the fake accepts format errors, and a forced FAILED', async () => {
    fake.setFormatErrors('report');
    fake.setProcessingPolls(0);
    const configured = destination();
    const [request] = configured.buildBatch([
      enter('p1', 'ada@example.com'),
      enter('p2', 'bob@example.com'),
    ]).requests;
    const body = structuredClone(request!.body) as {
      audienceMembers: { userData: { userIdentifiers: object[] } }[];
    };
    body.audienceMembers[0]!.userData.userIdentifiers[0] = { emailAddress: 'ab'.repeat(20) };
    const [accepted] = await deliver(configured, [{ ...request!, body }]);
    expect(accepted?.classified.items).toEqual([{ kind: 'ok' }, { kind: 'ok' }]);
    const poll = configured.asyncResult!;
    expect(poll.read(await send(http, poll.request(accepted!.classified.report!.asyncId!)))).toEqual({
      state: 'done',
      status: 'PARTIAL_SUCCESS',
      detail:
        'list 987: PARTIAL_SUCCESS; 2 records, 2 identifiers, match rate not_eligible; errors: INVALID_FORMAT x1',
    });
    expect(fake.identifiers(LIST)).toEqual([emailKey('bob@example.com')]);

    fake.setForcedFailure(true);
    const [failed] = await deliver(
      configured,
      configured.buildBatch([enter('p3', 'carol@example.com')]).requests,
    );
    const final = poll.read(await send(http, poll.request(failed!.classified.report!.asyncId!)));
    expect(final).toMatchObject({
      state: 'done',
      status: 'FAILED',
      detail: expect.stringContaining('INTERNAL_ERROR x1'),
    });
    expect(fake.identifiers(LIST)).toEqual([emailKey('bob@example.com')]);
  });

  it('a failed poll is unknown, not a result', async () => {
    const poll = destination({ access_token: 'expired-token' }).asyncResult!;
    expect(poll.read(await send(http, poll.request('some-id')))).toEqual({
      state: 'unknown',
      detail: expect.stringContaining('HTTP 401 UNAUTHENTICATED'),
    });
  });

  it('a 429 pauses the whole destination; a refused token signals credentials', async () => {
    fake.setRateLimit({ requests: 1, windowMs: 60_000 });
    const configured = destination();
    const answers = await deliver(configured, [
      ...configured.buildBatch([enter('p1', 'ada@example.com')]).requests,
      ...configured.buildBatch([enter('p2', 'bob@example.com')]).requests,
    ]);
    expect(answers[1]?.classified.signal).toMatchObject({ kind: 'throttled', forMs: 60_000 });
    expect(answers[1]?.classified.items).toMatchObject([{ kind: 'retry', afterMs: 60_000 }]);

    fake.setRateLimit({ requests: 300, windowMs: 60_000 });
    const wrongToken = destination({ access_token: 'expired-token' });
    const [refused] = await deliver(
      wrongToken,
      wrongToken.buildBatch([enter('p3', 'carol@example.com')]).requests,
    );
    expect(refused?.classified.signal).toMatchObject({ kind: 'credentials' });
    expect(refused?.classified.items).toMatchObject([{ kind: 'retry' }]);
  });

  it('never lets a raw e-mail or phone number reach Google or the delivery log', async () => {
    fake.setProcessingPolls(0);
    const configured = destination({ login_account_id: '9876543210' });
    const raw = [
      ' John.Doe+promo@GoogleMail.com ',
      'ada@example.com',
      '+1 (650) 555-0100',
      '+49 151 12345678',
    ];
    const built = configured.buildBatch([
      enter('p1', raw[0]!, {
        phone: raw[2],
        first_name: 'John',
        last_name: 'Doe',
        country: 'US',
        postal_code: '94043',
      }),
      enter('p2', raw[1]!, { phone: raw[3] }),
      deliveryItem({
        profileId: 'p3',
        version: 1,
        identifiers: { email: 'dave@example.com' },
        audiences: { high_intent: false },
      }),
    ]);
    const answers = await deliver(configured, built.requests);
    for (const answer of answers)
      await send(http, configured.asyncResult!.request(answer.classified.report!.asyncId!));
    const recorded = JSON.stringify(fake.requests.map(({ path, body }) => ({ path, body })));
    const logged = JSON.stringify(built.requests.map((request) => configured.redactBody(request.body)));
    for (const text of [recorded, logged]) {
      expect(text).not.toContain('@');
      for (const phone of ['6505550100', '650) 555', '15112345678', '151 1234'])
        expect(text).not.toContain(phone);
      expect(text).not.toMatch(/john|doe/i);
    }
    expect(logged).toContain(sha256Hex('johndoe@googlemail.com'));
    expect(logged).toContain('"postalCode":"94043"');
  });
});
