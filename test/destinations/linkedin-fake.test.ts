import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deliveryItem } from '../../src/delivery/delivery-item.js';
import type { BuiltRequest, DeliveryItem, HttpResult, KeySet } from '../../src/delivery/destination.js';
import {
  DAY_LIMIT_MESSAGE,
  startFakeLinkedin,
  THROTTLED_MESSAGE,
  VERSION_MISSING_MESSAGE,
  type FakeLinkedin,
} from '../../src/destinations/linkedin/fake-server.js';
import { linkedinDestination } from '../../src/destinations/linkedin/index.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';

/** The fake LinkedIn over real HTTP, then builder -> fake -> classifier end to end. */

const TOKEN = 'test-linkedin-token';
const USERS = '/rest/dmpSegments/555/users';
const HEADERS = {
  Authorization: `Bearer ${TOKEN}`,
  'LinkedIn-Version': '202604',
  'X-Restli-Protocol-Version': '2.0.0',
  'X-RestLi-Method': 'BATCH_CREATE',
  'Content-Type': 'application/json',
};
const HASH = 'b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72'; // ada@example.com

let fake: FakeLinkedin;

beforeAll(async () => {
  fake = await startFakeLinkedin({ segments: ['555'] });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  fake.setRateLimit({ requests: 600, windowMs: 60_000 });
});

async function post(
  body: unknown,
  headers: Record<string, string> = HEADERS,
  path = USERS,
): Promise<HttpResult> {
  const response = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  return {
    kind: 'response',
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: (await response.json()) as unknown,
  };
}

function send(request: BuiltRequest): Promise<HttpResult> {
  return post(request.body, request.headers, new URL(request.url).pathname);
}

function answer(result: HttpResult): { status: number; body: Record<string, unknown> } {
  if (result.kind !== 'response') throw new Error(`no answer: ${result.kind}`);
  return { status: result.status, body: result.body as Record<string, unknown> };
}

const add = (idValue: string, idType = 'SHA256_EMAIL') => ({ action: 'ADD', userIds: [{ idType, idValue }] });

function linkedin(matchKeys: string[] = ['email']) {
  return DESTINATIONS.linkedin_dmp_segment!.configure(
    { endpoint: fake.url, access_token: TOKEN, segment_id: '555' },
    { audience: 'high_intent', match_keys: matchKeys },
  );
}

function person(n: number, member: boolean, held: KeySet[] = []): DeliveryItem {
  return deliveryItem({
    profileId: `p${n}`,
    version: 1,
    identifiers: { email: `Person.${n}@Example.com` },
    audiences: { high_intent: member },
    held: held.length > 0 ? { high_intent: held } : {},
  });
}

/** What the relay's ledger would record from a request's parts for the items that succeeded. */
function heldAfter(request: BuiltRequest, okItems: number[]): Map<number, KeySet> {
  const held = new Map<number, KeySet>();
  request.items.forEach((item, position) => {
    const keySet = request.parts?.[position]?.hold?.high_intent;
    if (okItems.includes(item) && keySet) held.set(item, keySet);
  });
  return held;
}

function expectNoRawEmailSent(): void {
  for (const request of fake.requests) expect(JSON.stringify(request.body)).not.toContain('@');
}

describe('fake LinkedIn DMP segment users', () => {
  it('refuses a missing or wrong token with 401 INVALID_ACCESS_TOKEN', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token']) {
      const headers: Record<string, string> = { ...HEADERS };
      if (authorization === undefined) delete headers.Authorization;
      else headers.Authorization = authorization;
      const result = answer(await post({ elements: [add(HASH)] }, headers));
      expect(result).toEqual({
        status: 401,
        body: {
          status: 401,
          serviceErrorCode: 65600,
          code: 'INVALID_ACCESS_TOKEN',
          message: 'Invalid access token',
        },
      });
    }
    expect(fake.members('555')).toEqual([]);
  });

  it('needs LinkedIn-Version (400 VERSION_MISSING), an active one (426), and the Rest.li headers (400)', async () => {
    const { 'LinkedIn-Version': _version, ...withoutVersion } = HEADERS;
    expect(answer(await post({ elements: [add(HASH)] }, withoutVersion))).toEqual({
      status: 400,
      body: { status: 400, code: 'VERSION_MISSING', message: VERSION_MISSING_MESSAGE },
    });
    expect(
      answer(await post({ elements: [add(HASH)] }, { ...HEADERS, 'LinkedIn-Version': '202401' })),
    ).toEqual({
      status: 426,
      body: { status: 426, code: 'NONEXISTENT_VERSION', message: 'Requested version 202401 is not active' },
    });
    const { 'X-RestLi-Method': _method, ...withoutMethod } = HEADERS;
    expect(answer(await post({ elements: [add(HASH)] }, withoutMethod)).status).toBe(400);
    const { 'X-Restli-Protocol-Version': _protocol, ...withoutProtocol } = HEADERS;
    expect(answer(await post({ elements: [add(HASH)] }, withoutProtocol)).status).toBe(400);
    expect(answer(await post({ elements: [add(HASH)] }, HEADERS, '/rest/dmpSegments/999/users')).status).toBe(
      404,
    );
    expect(fake.members('555')).toEqual([]);
  });

  it('answers 200 with one status per element: a value that is not a SHA-256 digest gets 400, the rest 201', async () => {
    const result = answer(await post({ elements: [add(HASH), add(HASH.slice(0, 40)), add('x', 'PHONE')] }));
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      elements: [
        { status: 201 },
        {
          status: 400,
          error: {
            status: 400,
            message: 'idValue of SHA256_EMAIL must be a SHA-256 hex digest of the e-mail',
          },
        },
        { status: 400, error: { status: 400, message: 'unsupported idType PHONE' } },
      ],
    });
    expect(fake.members('555')).toEqual([`SHA256_EMAIL:${HASH}`]);
  });

  it('takes 5,000 elements and refuses 5,001 with 400', async () => {
    const elements = (count: number) => Array.from({ length: count }, () => add(HASH));
    expect(answer(await post({ elements: elements(5000) })).status).toBe(200);
    const tooMany = answer(await post({ elements: elements(5001) }));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain('5000');
  });

  it('throttles with 429 serviceErrorCode 101, and a daily limit with a DAY message', async () => {
    fake.setRateLimit({ requests: 1, windowMs: 60_000 });
    expect(answer(await post({ elements: [add(HASH)] })).status).toBe(200);
    expect(answer(await post({ elements: [add(HASH)] }))).toEqual({
      status: 429,
      body: { status: 429, serviceErrorCode: 101, message: THROTTLED_MESSAGE },
    });
    fake.setRateLimit({ requests: 600, windowMs: 60_000 });
    fake.setDailyLimitReached(true);
    expect(answer(await post({ elements: [add(HASH)] })).body.message).toBe(DAY_LIMIT_MESSAGE);
  });

  it('describes a request in one line without identifiers', async () => {
    await post({ elements: [add(HASH), add(HASH), add(HASH), { ...add(HASH), action: 'REMOVE' }] });
    expect(linkedinDestination.fake?.describe(fake.requests[0]!)).toBe('ADD 3, REMOVE 1 in segment 555');
  });
});

describe('LinkedIn end to end: buildBatch -> fake -> classify', () => {
  it('adds three people, then removes one under the key set it was added with', async () => {
    const destination = linkedin();
    const added = destination.buildBatch([person(1, true), person(2, true), person(3, true)]);
    const [addRequest] = added.requests;
    const classified = destination.classify(await send(addRequest!), addRequest!);
    expect(classified.items).toEqual([{ kind: 'ok' }, { kind: 'ok' }, { kind: 'ok' }]);
    expect(fake.members('555')).toHaveLength(3);

    const held = heldAfter(addRequest!, [0, 1, 2]);
    // The person's e-mail changed since: the remove must still reach the one LinkedIn holds.
    const leaving = deliveryItem({
      ...person(2, false, [held.get(1)!]),
      identifiers: { email: 'someone.else@example.com' },
    });
    const [removeRequest] = destination.buildBatch([leaving]).requests;
    const removed = destination.classify(await send(removeRequest!), removeRequest!);
    expect(removed.items).toEqual([{ kind: 'ok' }]);
    expect(fake.members('555')).toEqual(
      [held.get(0)!, held.get(2)!].map((keySet) => `SHA256_EMAIL:${keySet.SHA256_EMAIL}`).sort(),
    );
    expect(fake.requests.map((request) => linkedinDestination.fake?.describe(request))).toEqual([
      'ADD 3 in segment 555',
      'REMOVE 1 in segment 555',
    ]);
    expectNoRawEmailSent();
  });

  it('settles a partial failure per element: the 400 is rejected, only the 429 is resent', async () => {
    const destination = linkedin();
    const items = [person(1, true), person(2, true), person(3, true)];
    const [request] = destination.buildBatch(items).requests;
    fake.setElementFaults({ 1: 400, 2: 429 });
    const first = destination.classify(await send(request!), request!);
    expect(first.items.map((outcome) => outcome.kind)).toEqual(['ok', 'reject', 'retry']);
    expect(first.signal).toBeUndefined();
    const addedFirst = [...heldAfter(request!, [0]).values()].map(
      (keySet) => `SHA256_EMAIL:${keySet.SHA256_EMAIL}`,
    );
    expect(fake.members('555')).toEqual(addedFirst);

    fake.setElementFaults({});
    const retried = request!.items.filter((_, position) => first.items[position]?.kind === 'retry');
    const [resend] = destination.buildBatch(retried.map((index) => items[index]!)).requests;
    const second = destination.classify(await send(resend!), resend!);
    expect(second.items).toEqual([{ kind: 'ok' }]);
    const expected = [...heldAfter(request!, [0, 2]).values()].map(
      (keySet) => `SHA256_EMAIL:${keySet.SHA256_EMAIL}`,
    );
    expect(fake.members('555')).toEqual(expected.sort());
    expectNoRawEmailSent();
  });

  it('sends 5,001 people as two requests (5,000 + 1), both accepted', async () => {
    const destination = linkedin();
    const items = Array.from({ length: 5001 }, (_, n) => person(n, true));
    const built = destination.buildBatch(items);
    expect(built.requests.map((request) => request.items.length)).toEqual([5000, 1]);
    for (const request of built.requests) {
      const outcomes = destination.classify(await send(request), request).items;
      expect(outcomes.every((outcome) => outcome.kind === 'ok')).toBe(true);
    }
    expect(fake.members('555')).toHaveLength(5001);
    expectNoRawEmailSent();
  });

  it('pauses on the fake throttle and until midnight UTC on its daily limit', async () => {
    const destination = linkedin();
    const [request] = destination.buildBatch([person(1, true)]).requests;
    fake.setRateLimit({ requests: 0, windowMs: 60_000 });
    const throttled = destination.classify(await send(request!), request!);
    expect(throttled.signal).toMatchObject({ kind: 'throttled', forMs: 60_000 });

    fake.setRateLimit({ requests: 600, windowMs: 60_000 });
    fake.setDailyLimitReached(true);
    const result = await send(request!);
    const daily = destination.classify(result, request!);
    const date = Date.parse(result.kind === 'response' ? (result.headers.date ?? '') : '');
    expect(daily.signal).toMatchObject({ kind: 'throttled', forMs: 86_400_000 - (date % 86_400_000) });
    expect(fake.members('555')).toEqual([]);
  });

  it('signals refused credentials on 401 and retries the items', async () => {
    const destination = DESTINATIONS.linkedin_dmp_segment!.configure(
      { endpoint: fake.url, access_token: 'expired-token', segment_id: '555' },
      { audience: 'high_intent' },
    );
    const [request] = destination.buildBatch([person(1, true)]).requests;
    const classified = destination.classify(await send(request!), request!);
    expect(classified.signal?.kind).toBe('credentials');
    expect(classified.items.map((outcome) => outcome.kind)).toEqual(['retry']);
  });

  it('logs hashes as sent, mobile ad ids and names only redacted', async () => {
    const destination = linkedin(['email', 'mobile_ad_id', 'first_name', 'country']);
    const item = deliveryItem({
      profileId: 'p1',
      version: 1,
      identifiers: { email: 'ada@example.com' },
      audiences: { high_intent: true },
      knownTraits: { mobile_ad_id: '38400000-8cf0-11bd-b23e-10b96e40000d', first_name: 'Ada', country: 'GB' },
    });
    const [request] = destination.buildBatch([item]).requests;
    expect(destination.classify(await send(request!), request!).items).toEqual([{ kind: 'ok' }]);
    const logged = JSON.stringify(destination.redactBody(request!.body));
    expect(logged).toContain(HASH);
    for (const clear of ['38400000-8cf0-11bd-b23e-10b96e40000d', 'Ada', '"GB"', '@', TOKEN]) {
      expect(logged).not.toContain(clear);
    }
    expectNoRawEmailSent();
  });
});
