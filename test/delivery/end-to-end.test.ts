import { Analytics } from '@segment/analytics-node';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../src/destinations/fake-kit.js';
import { startFakeBraze, type FakeBraze } from '../../src/destinations/braze/fake-server.js';
import {
  FAKE_HUBSPOT_TOKEN,
  startFakeHubspot,
  type FakeHubspot,
} from '../../src/destinations/hubspot/fake-server.js';
import { ManualClock } from '../../src/lib/clock.js';
import { type RunningRelay } from '../../src/relay.js';
import { WRITE_KEYS } from '../helpers/relay-process.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * The delivery path end to end, over real HTTP: @segment/analytics-node -> relay intake ->
 * processing (on an injected clock) -> outbox -> per-destination workers -> the fake Braze and
 * HubSpot servers. Processing time is the ManualClock; delivery timing is real time, so every wait
 * on a fake is a bounded poll and no assertion is about wall time.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BRAZE_KEY = 'test-braze-key';
const ADMIN_TOKEN = 'end-to-end-admin-token-0123456789';
/** Long enough for a batch (1 s max wait) plus retries under load; a poll ends as soon as it holds. */
const WAIT_MS = 15_000;

const root = makeTempDir('relay-e2e-');
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
let braze: FakeBraze;
let hubspot: FakeHubspot;
let relay: RunningRelay;

beforeAll(async () => {
  braze = await startFakeBraze();
  hubspot = await startFakeHubspot();
  relay = await startTestRelay({
    root,
    adminToken: ADMIN_TOKEN,
    clock,
    destinations: ['braze', 'hubspot'],
    processEnv: {
      DESTINATIONS_ENABLED: 'true',
      BRAZE_REST_ENDPOINT: braze.url,
      HUBSPOT_ENDPOINT: hubspot.url,
    },
  });
});

afterAll(async () => {
  await relay?.close();
  await braze?.close();
  await hubspot?.close();
  removeTempDir(root);
});

let sequence = 0;
const nextMessageId = (label: string) => `e2e-${label}-${++sequence}`;
const at = () => new Date(clock.now());

/** Sends what `calls` queues through the Segment SDK pointed at the relay, and waits for processing. */
async function sendWithSegment(calls: (analytics: Analytics) => void): Promise<void> {
  const analytics = new Analytics({
    writeKey: WRITE_KEYS.web,
    host: relay.url,
    flushAt: 50,
    flushInterval: 50,
    maxRetries: 2,
  });
  const statuses: number[] = [];
  const errors: unknown[] = [];
  analytics.on('http_response', ({ status }) => statuses.push(status));
  analytics.on('error', (error) => errors.push(error));
  calls(analytics);
  await analytics.closeAndFlush({ timeout: 10_000 });
  expect(errors).toEqual([]);
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.filter((status) => status !== 200)).toEqual([]);
  await relay.whenIdle();
}

/** Polls until `probe` returns something other than undefined/false; fails after `WAIT_MS`. */
async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await delay(20);
  }
}

/** The external_ids of a Braze `/users/track` body's attribute objects. */
function brazeIds(request: RecordedRequest): string[] {
  const body = request.body as { attributes?: { external_id?: unknown }[] } | undefined;
  return (body?.attributes ?? []).map((object) => String(object.external_id));
}

/** The e-mails a HubSpot batch upsert names. */
function hubspotEmails(request: RecordedRequest): string[] {
  const body = request.body as { inputs?: { id?: unknown }[] } | undefined;
  return (body?.inputs ?? []).map((input) => String(input.id));
}

/** Values of one attribute sent for one external_id, in the order Braze accepted them. */
function brazeValues(externalId: string, attribute: string): unknown[] {
  return braze.accepted().flatMap((request) => {
    const body = request.body as { attributes: Record<string, unknown>[] };
    return body.attributes
      .filter((object) => object.external_id === externalId && Object.hasOwn(object, attribute))
      .map((object) => object[attribute]);
  });
}

/** Values of one property written to one contact, in the order HubSpot accepted them. */
function hubspotValues(email: string, property: string): string[] {
  return hubspot.accepted().flatMap((request) => {
    const body = request.body as { inputs: { id: string; properties: Record<string, string> }[] };
    return body.inputs
      .filter((input) => input.id === email && Object.hasOwn(input.properties, property))
      .map((input) => input.properties[property] as string);
  });
}

/** When Braze first accepted (2xx) a request carrying this external_id, by the fake's own record. */
function brazeAcceptedAt(externalId: string): number | undefined {
  return braze.accepted().find((request) => brazeIds(request).includes(externalId))?.at;
}

async function profileIdOf(userId: string): Promise<string> {
  const owners = await relay.store.findProfileIds([{ kind: 'userId', value: userId }]);
  const id = owners.get(`userId:${userId}`);
  if (id === undefined) throw new Error(`no profile for userId ${userId}`);
  return id;
}

interface LoggedDelivery {
  destination: string;
  at: string;
  status: string;
  attempt: number;
  items: number;
  profileIds: string[];
  messageIds: string[];
  requestBody: string;
  responseExcerpt: string;
  outcome: string;
}

/** `GET /admin/api/deliveries`: the raw JSON text (for leak checks) and the parsed entries. */
async function searchLog(
  query: Record<string, string>,
): Promise<{ text: string; deliveries: LoggedDelivery[] }> {
  const res = await fetch(`${relay.url}/admin/api/deliveries?${new URLSearchParams(query)}`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { text, deliveries: (JSON.parse(text) as { deliveries: LoggedDelivery[] }).deliveries };
}

interface DeadLetterJson {
  id: number;
  destination: string;
  profileId: string;
  change: { audiences: Record<string, boolean>; traits: Record<string, unknown>; causedBy: string[] };
  reason: string;
  replayedAt: number | null;
}

/** An admin API call; answers its body text (expected 200). */
async function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<string> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return text;
}

/** Every string that must never be stored in the delivery log. */
const secrets = [BRAZE_KEY, FAKE_HUBSPOT_TOKEN];
const rawEmails: string[] = [];

function expectNoLeak(text: string): void {
  const lower = text.toLowerCase();
  for (const email of rawEmails) expect(lower).not.toContain(email.toLowerCase());
  for (const secret of secrets) expect(text).not.toContain(secret);
}

// The high-intent lead: e-mail as typed (mixed case); the relay and HubSpot key contacts lower-cased.
const LEAD = 'e2e-lead-1';
const LEAD_EMAIL_TYPED = 'Ada.Lovelace+E2E@Example.COM';
const LEAD_EMAIL = LEAD_EMAIL_TYPED.toLowerCase();
rawEmails.push(LEAD_EMAIL_TYPED);
const leadMessageIds: string[] = [];
let firstPricingViewAt = 0;

describe('Segment SDK -> relay -> Braze and HubSpot over HTTP', () => {
  it('delivers high_intent true on entry and false when the 48 h window passes with no new event', async () => {
    await sendWithSegment((analytics) => {
      const messageId = nextMessageId('identify');
      leadMessageIds.push(messageId);
      analytics.identify({
        userId: LEAD,
        traits: { email: LEAD_EMAIL_TYPED, name: 'Ada Lovelace' },
        timestamp: at(),
        messageId,
      });
      // Four distinct pricing views a minute apart: 4 x 25 = 100 lead points (> 80), 3+ views in 48 h.
      for (let view = 0; view < 4; view++) {
        clock.advance(MINUTE);
        if (view === 0) firstPricingViewAt = clock.now();
        const pricingId = nextMessageId('pricing');
        leadMessageIds.push(pricingId);
        analytics.page({
          userId: LEAD,
          name: 'Pricing',
          properties: { path: '/pricing' },
          context: { page: { path: '/pricing' } },
          timestamp: at(),
          messageId: pricingId,
        });
      }
    });
    expect(await relay.store.countEvents()).toBe(5); // distinct messageIds: no view was deduplicated

    await waitFor('Braze to hear segment_high_intent: true', () =>
      brazeValues(LEAD, 'segment_high_intent').includes(true),
    );
    await waitFor('HubSpot to hear relay_high_intent "true"', () =>
      hubspotValues(LEAD_EMAIL, 'relay_high_intent').includes('true'),
    );
    const entered = braze.attributesFor(LEAD);
    expect(entered.segment_high_intent).toBe(true);
    expect(entered.lead_score).toBeGreaterThan(80); // 4 x 25, a few minutes of decay
    // The same person in HubSpot, reached by the e-mail the identify call carried.
    expect(hubspot.contact(LEAD_EMAIL)).toMatchObject({
      email: LEAD_EMAIL,
      relay_high_intent: 'true',
      relay_lead_score: String(entered.lead_score),
    });
    const brazeRequest = braze.accepted().find((request) => brazeIds(request).includes(LEAD));
    expect(brazeRequest?.headers.authorization).toBe(`Bearer ${BRAZE_KEY}`);
    const eventsBefore = await relay.store.countEvents();

    // 47 h after the views the 3rd newest is still inside the window: no exit yet.
    clock.set(firstPricingViewAt + 47 * HOUR);
    await relay.whenIdle();
    const profileId = await profileIdOf(LEAD);
    const highIntentRows = async () =>
      (await relay.store.readOutbox(0, 100_000))
        .filter((row) => row.profileId === profileId && row.name === 'high_intent')
        .map((row) => row.value);
    expect(await highIntentRows()).toEqual(['true']);

    // The 2nd view (the 3rd newest) leaves the 48 h window: the scheduler exits the lead on time alone.
    clock.set(firstPricingViewAt + 49 * HOUR);
    await relay.whenIdle();
    expect(await highIntentRows()).toEqual(['true', 'false']);
    await waitFor('Braze to hear segment_high_intent: false', () =>
      brazeValues(LEAD, 'segment_high_intent').includes(false),
    );
    await waitFor('HubSpot to hear relay_high_intent "false"', () =>
      hubspotValues(LEAD_EMAIL, 'relay_high_intent').includes('false'),
    );

    expect(await relay.store.countEvents()).toBe(eventsBefore); // no new event caused the exit
    // Each change exactly once, in order; the score decayed but stayed above 80 (half-life 14 d).
    expect(brazeValues(LEAD, 'segment_high_intent')).toEqual([true, false]);
    expect(hubspotValues(LEAD_EMAIL, 'relay_high_intent')).toEqual(['true', 'false']);
    expect(braze.attributesFor(LEAD).segment_high_intent).toBe(false);
    expect(hubspot.contact(LEAD_EMAIL)?.relay_high_intent).toBe('false');
    const score = Number(hubspot.contact(LEAD_EMAIL)?.relay_lead_score);
    expect(score).toBeGreaterThan(80);
    expect(score).toBeLessThan(100);
    // Braze is keyed by userId only; HubSpot by e-mail only.
    for (const request of braze.requests) expect(JSON.stringify(request.body)).not.toContain('@');
    expect(new Set(hubspot.accepted().flatMap(hubspotEmails))).toEqual(new Set([LEAD_EMAIL]));
  });

  it('finds the requests in the delivery log by profile and by status, with no e-mail or secret in them', async () => {
    const profileId = await profileIdOf(LEAD);

    // A request is logged once its answer is settled, just after the fake recorded it: poll.
    const byProfile = await waitFor('the log to hold entry and exit for both destinations', async () => {
      const found = await searchLog({ profile: `userId:${LEAD}` });
      return found.deliveries.length >= 4 && found;
    });
    expectNoLeak(byProfile.text);
    expect(byProfile.deliveries.length).toBeGreaterThanOrEqual(4); // entry + exit, to each destination
    for (const entry of byProfile.deliveries) expect(entry.profileIds).toContain(profileId);
    expect(new Set(byProfile.deliveries.map((entry) => `${entry.destination} ${entry.status}`))).toEqual(
      new Set(['braze 201', 'hubspot 200']),
    );
    // The entry request names the events that caused it, and the hashed (not the raw) identifiers.
    const entered = byProfile.deliveries.find(
      (entry) => entry.destination === 'braze' && entry.requestBody.includes('"segment_high_intent":true'),
    );
    expect(entered?.messageIds).toEqual(expect.arrayContaining(leadMessageIds.slice(1)));
    expect(entered?.requestBody).toMatch(/"external_id":"sha256:[0-9a-f]{16}"/);
    expect(entered?.requestBody).not.toContain(LEAD);
    expect(entered?.outcome).toBe('1 delivered');
    const hubspotEntered = byProfile.deliveries.find(
      (entry) => entry.destination === 'hubspot' && entry.requestBody.includes('"relay_high_intent":"true"'),
    );
    expect(hubspotEntered?.requestBody).toMatch(/"id":"sha256:[0-9a-f]{16}"/);

    // Any identifier names the profile: the e-mail (searched by its hash) finds the same requests.
    const byEmail = await searchLog({ profile: `email:${LEAD_EMAIL_TYPED}` });
    expect(byEmail.deliveries.map((entry) => entry.at)).toEqual(
      byProfile.deliveries.map((entry) => entry.at),
    );
    const byText = await searchLog({ q: LEAD_EMAIL_TYPED, destination: 'hubspot' });
    expectNoLeak(byText.text);
    expect(byText.deliveries.length).toBeGreaterThanOrEqual(2);
    for (const entry of byText.deliveries) expect(entry.profileIds).toContain(profileId);

    const brazeOk = await searchLog({ status: '201', destination: 'braze', profile: `userId:${LEAD}` });
    expectNoLeak(brazeOk.text);
    expect(brazeOk.deliveries.length).toBeGreaterThanOrEqual(2);
    for (const entry of brazeOk.deliveries) {
      expect(entry).toMatchObject({ destination: 'braze', status: '201' });
      expect(entry.profileIds).toContain(profileId);
    }
    const hubspotOk = await searchLog({ status: '200', profile: `userId:${LEAD}` });
    expectNoLeak(hubspotOk.text);
    expect(hubspotOk.deliveries.length).toBeGreaterThanOrEqual(2);
    for (const entry of hubspotOk.deliveries) {
      expect(entry).toMatchObject({ destination: 'hubspot', status: '200' });
      expect(entry.responseExcerpt).toContain('COMPLETE');
    }
    // A status nobody answered and an unknown person find nothing.
    expect((await searchLog({ status: '503', profile: `userId:${LEAD}` })).deliveries).toEqual([]);
    expect((await searchLog({ profile: 'userId:nobody-at-all' })).deliveries).toEqual([]);

    // Time filters (the log is on real time): the exit requests to both destinations from their start on.
    const isExit = (entry: LoggedDelivery) => /high_intent":"?false/.test(entry.requestBody);
    const exitAt = Math.min(...byProfile.deliveries.filter(isExit).map((entry) => Date.parse(entry.at)));
    const sinceExit = await searchLog({ profile: `userId:${LEAD}`, since: new Date(exitAt).toISOString() });
    expect(sinceExit.deliveries.filter(isExit)).toHaveLength(2);
    for (const entry of sinceExit.deliveries) expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(exitAt);
    const beforeExit = await searchLog({ profile: `userId:${LEAD}`, until: String(exitAt - 1) });
    expect(beforeExit.deliveries.length).toBeGreaterThanOrEqual(2);
    expect(beforeExit.deliveries.filter(isExit)).toEqual([]);
    const bad = await fetch(`${relay.url}/admin/api/deliveries?since=yesterday`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/since/);
  });

  it('dead-letters what HubSpot cannot take (no e-mail), and an operator replays it once it can', async () => {
    const user = 'e2e-no-email-1';
    const typed = 'Grace.Hopper@Example.NET';
    rawEmails.push(typed);
    await sendWithSegment((analytics) =>
      analytics.track({
        userId: user,
        event: 'Demo Requested',
        timestamp: at(),
        messageId: nextMessageId('demo'),
      }),
    );
    const profileId = await profileIdOf(user);
    await waitFor('Braze to get the lead score', () => brazeValues(user, 'lead_score').length > 0);

    const listed = await waitFor('HubSpot to dead-letter the change', async () => {
      const found = await admin('GET', '/dead-letters?destination=hubspot');
      const body = JSON.parse(found) as { deadLetters: DeadLetterJson[] };
      const mine = body.deadLetters.filter((letter) => letter.profileId === profileId);
      return mine.length === 1 && { text: found, letter: mine[0] as DeadLetterJson };
    });
    expectNoLeak(listed.text);
    expect(listed.letter.reason).toMatch(/^skipped: no email/);
    expect(listed.letter.change.traits).toMatchObject({ lead_score: 40 });
    const skipped = await waitFor('the skip to be logged', async () => {
      const found = await searchLog({ status: 'skipped', profile: `userId:${user}` });
      return found.deliveries.length === 1 && found;
    });
    expect(skipped.deliveries[0]).toMatchObject({ destination: 'hubspot', items: 1 });

    // The person gives an e-mail (no synced value changes), then the operator replays the letter.
    await sendWithSegment((analytics) =>
      analytics.identify({
        userId: user,
        traits: { email: typed },
        timestamp: at(),
        messageId: nextMessageId('id'),
      }),
    );
    expect(hubspot.contact(typed)).toBeUndefined();
    const replayed = await admin('POST', '/dead-letters/replay', { ids: [listed.letter.id] });
    expect(JSON.parse(replayed)).toEqual({ replayed: 1 });
    await waitFor(
      'HubSpot to get the replayed change',
      () => hubspot.contact(typed)?.relay_lead_score === '40',
    );

    const open = JSON.parse(await admin('GET', '/dead-letters?destination=hubspot')) as {
      deadLetters: DeadLetterJson[];
    };
    expect(open.deadLetters.filter((letter) => letter.profileId === profileId)).toEqual([]);
    const history = await admin('GET', '/dead-letters?destination=hubspot&replayed=true&limit=-1');
    expectNoLeak(history);
    const done = (JSON.parse(history) as { deadLetters: DeadLetterJson[] }).deadLetters;
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ id: listed.letter.id, profileId });
    expect(done[0]?.replayedAt).toEqual(expect.any(Number));
  });
});

describe('isolation: a destination that is down, slow or throttled never delays another', () => {
  const USERS_PER_PHASE = 5;
  const latencies: Record<string, number[]> = {};
  const emailOf = (userId: string) => `${userId}@isolation.example`;

  /** A new lead per user (identify with e-mail + a demo request = lead_score 40, synced to both). */
  async function sendLeads(users: string[]): Promise<number> {
    for (const user of users) rawEmails.push(emailOf(user));
    const sentAt = Date.now();
    await sendWithSegment((analytics) => {
      for (const user of users) {
        const timestamp = at();
        analytics.identify({
          userId: user,
          traits: { email: emailOf(user) },
          timestamp,
          messageId: nextMessageId('id'),
        });
        analytics.track({
          userId: user,
          event: 'Demo Requested',
          timestamp,
          messageId: nextMessageId('demo'),
        });
      }
    });
    return sentAt;
  }

  /** Sends a phase's leads and waits until Braze accepted every one; returns Braze's latencies. */
  async function brazePhase(label: string): Promise<string[]> {
    const users = Array.from({ length: USERS_PER_PHASE }, (_, i) => `iso-${label}-${i}`);
    const sentAt = await sendLeads(users);
    await waitFor(`Braze to accept every ${label} lead`, () => users.every((u) => brazeAcceptedAt(u)));
    latencies[label] = users.map((user) => (brazeAcceptedAt(user) as number) - sentAt);
    return users;
  }

  const hubspotHas = (users: string[]) => users.every((user) => hubspot.contact(emailOf(user)) !== undefined);
  const hubspotAcceptedAny = (users: string[]) =>
    hubspot
      .accepted()
      .some((request) => hubspotEmails(request).some((e) => users.some((u) => emailOf(u) === e)));

  async function pendingFor(destination: string, users: string[]) {
    const ids = new Set(await Promise.all(users.map(profileIdOf)));
    const due = await relay.store.duePending(destination, Number.MAX_SAFE_INTEGER, 10_000);
    return due.filter((pending) => ids.has(pending.profileId));
  }

  afterAll(() => {
    const summary = Object.entries(latencies)
      .map(([label, ms]) => `${label}: median ${median(ms)} ms, max ${Math.max(...ms)} ms`)
      .join('; ');
    console.log(`Braze event-to-delivery latency (batch max_wait 1 s) — ${summary}`);
  });

  it('baseline: both destinations healthy', async ({ annotate }) => {
    const users = await brazePhase('baseline');
    await waitFor('HubSpot to accept every baseline lead', () => hubspotHas(users));
    expect(braze.attributesFor(users[0] as string)).toMatchObject({ lead_score: 40 });
    expect(hubspot.contact(emailOf(users[0] as string))).toMatchObject({ relay_lead_score: '40' });
    await annotate(`Braze latency, both healthy: ${describeLatency(latencies.baseline)}`);
  });

  it('HubSpot down (503): Braze gets every change while HubSpot retries, then HubSpot catches up', async ({
    annotate,
  }) => {
    hubspot.setFaults({ down: true });
    const users = await brazePhase('hubspot-down');
    // Braze has all of them; HubSpot has refused its first attempt and holds them for a retry.
    const retrying = await waitFor('HubSpot to fail and schedule retries', async () => {
      const pending = await pendingFor('hubspot', users);
      return pending.length === users.length && pending.every((p) => p.attempts >= 1) && pending;
    });
    expect(hubspotAcceptedAny(users)).toBe(false);
    for (const pending of retrying) {
      expect(pending.lastError).toMatch(/503/);
      // A 503 without Retry-After waits HubSpot's documented 3 s (or the longer backoff).
      expect(pending.nextAttemptAt - (pending.firstAttemptAt ?? 0)).toBeGreaterThanOrEqual(3_000);
    }
    expect(await pendingFor('braze', users)).toEqual([]);
    const failed = await waitFor('the 503 to be logged', async () => {
      const found = await searchLog({ destination: 'hubspot', status: '503' });
      return found.deliveries.length >= 1 && found;
    });
    expectNoLeak(failed.text);
    expect(failed.deliveries[0]?.outcome).toMatch(/retry: HubSpot 503/);
    await annotate(`Braze latency, HubSpot down: ${describeLatency(latencies['hubspot-down'])}`);

    hubspot.setFaults({});
    await waitFor('HubSpot to catch up after it is back', () => hubspotHas(users));
    await waitFor('HubSpot queue to drain', async () => (await pendingFor('hubspot', users)).length === 0);
    expect(await relay.store.deadLetters({ limit: 100 })).toEqual([]);
  });

  it('HubSpot slow: Braze delivers while a HubSpot request is still unanswered', async ({ annotate }) => {
    hubspot.setFaults({ latencyMs: 5_000 });
    const prime = 'iso-slow-prime';
    await sendLeads([prime]);
    const stuck = await waitFor('a HubSpot request to be in flight', () =>
      hubspot.requests.find(
        (request) => hubspotEmails(request).includes(emailOf(prime)) && request.status === 0,
      ),
    );
    const users = await brazePhase('hubspot-slow');
    // Ordering facts at the moment Braze had everything: HubSpot's earlier request is still open.
    expect(stuck.status).toBe(0);
    expect(hubspotAcceptedAny(users)).toBe(false);
    await annotate(`Braze latency, HubSpot slow: ${describeLatency(latencies['hubspot-slow'])}`);

    hubspot.setFaults({});
    await waitFor('HubSpot to catch up after the slow answer', () => hubspotHas([prime, ...users]));
  });

  it('HubSpot throttled (429): Braze delivers while HubSpot waits out its rate window', async ({
    annotate,
  }) => {
    hubspot.setRateLimit({ requests: 0, windowMs: 60_000 });
    const users = await brazePhase('hubspot-throttled');
    await waitFor('HubSpot to be throttled and schedule retries', async () => {
      const pending = await pendingFor('hubspot', users);
      return pending.length === users.length && pending.every((p) => p.attempts >= 1);
    });
    expect(hubspotAcceptedAny(users)).toBe(false);
    const throttled = await waitFor('the 429 to be logged', async () => {
      const found = await searchLog({ destination: 'hubspot', status: '429' });
      return found.deliveries.length >= 1 && found;
    });
    expect(throttled.deliveries[0]?.outcome).toMatch(/retry/);
    // HubSpot's worker waits out the 10 s window instead of hammering: one 429, while Braze got all.
    expect(hubspot.requests.filter((request) => request.status === 429)).toHaveLength(1);
    await annotate(`Braze latency, HubSpot throttled: ${describeLatency(latencies['hubspot-throttled'])}`);
  });
});

describe('the delivery log as a whole', () => {
  it('holds no raw e-mail or secret, including failed and throttled requests', async () => {
    const all = await searchLog({ limit: '1000' });
    expect(new Set(all.deliveries.map((entry) => entry.status))).toEqual(
      new Set(['201', '200', 'skipped', '503', '429']),
    );
    expect(rawEmails.length).toBeGreaterThan(20); // the lead, the replayed one and every isolation lead
    expectNoLeak(all.text);
  });
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function describeLatency(values: number[] | undefined): string {
  if (!values || values.length === 0) return 'n/a';
  return `median ${median(values)} ms, max ${Math.max(...values)} ms (${values.length} leads)`;
}
