import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import {
  Analytics as SegmentAnalytics,
  type AliasParams,
  type GroupParams,
  type IdentifyParams,
  type PageParams,
  type TrackParams,
} from '@segment/analytics-node';
import axios from 'axios';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import PQueue from 'p-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../src/config/env.js';
import { createLogger } from '../src/lib/logger.js';
import { startRelay, type RunningRelay } from '../src/relay.js';
import {
  basicAuth,
  fetchStoredEvent,
  MAPPINGS_DIR,
  WRITE_KEYS,
  type SourceName,
} from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

const ADMIN_TOKEN = 'sdk-clients-admin-token-32-chars';
const SEGMENT_WEBHOOK_SECRET = 'dev-segment-webhook-secret';
const SEGMENT_EVENTS = 2000;
const RUDDER_EVENTS = 500;
const SHARED_IDS = 20;

type SegmentCall =
  | { type: 'track'; params: TrackParams }
  | { type: 'identify'; params: IdentifyParams }
  | { type: 'page'; params: PageParams }
  | { type: 'group'; params: GroupParams }
  | { type: 'alias'; params: AliasParams };

type RudderCall =
  | { type: 'track'; params: RudderAnalytics.TrackParams & { messageId: string } }
  | { type: 'identify'; params: RudderAnalytics.IdentifyParams & { messageId: string } }
  | { type: 'page'; params: RudderAnalytics.PageParams & { messageId: string } }
  | { type: 'group'; params: RudderAnalytics.GroupParams & { messageId: string } }
  | { type: 'alias'; params: RudderAnalytics.AliasParams & { messageId: string } };

interface WireEvent {
  type: string;
  messageId: string;
  [key: string]: unknown;
}

/** One intake POST: what an SDK sent (captured), or a raw re-post of the same events. */
interface IntakePost {
  path: string;
  source: SourceName;
  headers: Record<string, string>;
  body: string | Buffer;
  events: WireEvent[];
}

/** Every (source, messageId) the relay was sent, with the event type, and how many items were posted. */
class SentLedger {
  readonly events = new Map<string, { source: SourceName; messageId: string; type: string }>();
  itemsPosted = 0;

  record(source: SourceName, events: WireEvent[]): void {
    this.itemsPosted += events.length;
    for (const event of events) {
      this.events.set(`${source}\n${event.messageId}`, {
        source,
        messageId: event.messageId,
        type: event.type,
      });
    }
  }
}

/** i-th Segment call: five types in turn; every 25th without a messageId, so the SDK makes one. */
function segmentCall(i: number): SegmentCall {
  const messageId = i % 25 === 24 ? undefined : `seg-${i}`;
  const userId = `user-${i % 97}`;
  switch (i % 5) {
    case 0:
      return {
        type: 'track',
        params: { userId, event: 'Order Completed', properties: { total: i }, messageId },
      };
    case 1:
      return { type: 'identify', params: { userId, traits: { email: `${userId}@example.com` }, messageId } };
    case 2:
      return { type: 'page', params: { anonymousId: `anon-${i}`, name: 'Pricing', messageId } };
    case 3:
      return {
        type: 'group',
        params: { userId, groupId: `org-${i % 7}`, traits: { plan: 'pro' }, messageId },
      };
    default:
      return { type: 'alias', params: { userId, previousId: `anon-${i}`, messageId } };
  }
}

function sendWithSegment(client: SegmentAnalytics, call: SegmentCall): void {
  switch (call.type) {
    case 'track':
      return client.track(call.params);
    case 'identify':
      return client.identify(call.params);
    case 'page':
      return client.page(call.params);
    case 'group':
      return client.group(call.params);
    case 'alias':
      return client.alias(call.params);
  }
}

/** i-th RudderStack call; its SDK keeps a messageId passed in the message (the typings omit it). */
function rudderCall(i: number): RudderCall {
  const messageId = `rs-${i}`;
  const userId = `server-user-${i % 53}`;
  switch (i % 5) {
    case 0:
      return {
        type: 'track',
        params: { userId, event: 'Invoice Paid', properties: { amount: i }, messageId },
      };
    case 1:
      return { type: 'identify', params: { userId, traits: { tier: 'gold' }, messageId } };
    case 2:
      return { type: 'page', params: { anonymousId: `server-anon-${i}`, name: 'Docs', messageId } };
    case 3:
      return { type: 'group', params: { userId, groupId: `account-${i % 11}`, messageId } };
    default:
      return { type: 'alias', params: { userId, previousId: `server-anon-${i}`, messageId } };
  }
}

function sendWithRudder(client: RudderAnalytics, call: RudderCall, done: (error: unknown) => void): void {
  const callback = (...args: unknown[]) => done(args[0]);
  switch (call.type) {
    case 'track':
      client.track(call.params, callback);
      return;
    case 'identify':
      client.identify(call.params, callback);
      return;
    case 'page':
      client.page(call.params, callback);
      return;
    case 'group':
      client.group(call.params, callback);
      return;
    case 'alias':
      client.alias(call.params, callback);
      return;
  }
}

function eventsOf(json: string): WireEvent[] {
  return (JSON.parse(json) as { batch: WireEvent[] }).batch;
}

async function postRaw(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const bytes = typeof body === 'string' ? body : new Uint8Array(body);
  const response = await fetch(url, { method: 'POST', headers, body: bytes });
  return { status: response.status, body: await response.json() };
}

function jsonHeaders(source: SourceName): Record<string, string> {
  return { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS[source]) };
}

/** A webhook delivery authenticated by the source's write key (Basic auth). */
function jsonPost(path: string, source: SourceName, payload: WireEvent | WireEvent[]): IntakePost {
  const events = Array.isArray(payload) ? payload : [payload];
  return { path, source, headers: jsonHeaders(source), body: JSON.stringify(payload), events };
}

/** A Segment classic webhook delivery authenticated by X-Signature only (HMAC-SHA1 of the body). */
function signedSegmentWebhook(event: WireEvent): IntakePost {
  const body = JSON.stringify(event);
  const signature = createHmac('sha1', SEGMENT_WEBHOOK_SECRET).update(body).digest('hex');
  const headers = { 'content-type': 'application/json', 'x-signature': signature };
  return { path: '/webhooks/segment', source: 'web', headers, body, events: [event] };
}

describe('SDK clients against an in-process relay', () => {
  let dir: string | undefined;
  let relay: RunningRelay;
  const ledger = new SentLedger();
  const segmentRequests: IntakePost[] = [];
  const rudderRequests: IntakePost[] = [];

  beforeAll(async () => {
    dir = makeTempDir('relay-sdk-clients-');
    relay = await startRelay({
      env: readEnv({
        PORT: '0',
        HOST: '127.0.0.1',
        STORE_URL: `sqlite:${join(dir, 'relay.db')}`,
        MAPPINGS_DIR,
        ADMIN_TOKEN,
      }),
      logger: createLogger({ level: 'silent' }),
      // Write keys come from the mapping fallbacks, whatever the developer's shell exports.
      processEnv: {},
    });
  });

  afterAll(async () => {
    await relay?.close();
    removeTempDir(dir);
  });

  it('stores 2,000 events sent by @segment/analytics-node, with retried duplicates', async () => {
    const client = new SegmentAnalytics({
      writeKey: WRITE_KEYS.web,
      host: relay.url,
      path: '/v1/batch',
      flushAt: 50,
      flushInterval: 100,
      maxRetries: 3,
    });
    const statuses: number[] = [];
    const errors: unknown[] = [];
    client.on('http_request', ({ body, headers }) => {
      segmentRequests.push({ path: '/v1/batch', source: 'web', headers, body, events: eventsOf(body) });
    });
    client.on('http_response', ({ status }) => statuses.push(status));
    client.on('error', (error) => errors.push(error));

    let retried = 0;
    for (let i = 0; i < SEGMENT_EVENTS; i++) {
      sendWithSegment(client, segmentCall(i));
      // A retry of an event a few calls back: mostly in the same batch, sometimes in a concurrent one.
      const earlier = segmentCall(i - 3);
      if (i % 8 === 7 && earlier.params.messageId !== undefined) {
        sendWithSegment(client, earlier);
        retried++;
      }
    }
    await client.closeAndFlush({ timeout: 30_000 });

    expect(errors).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    for (const request of segmentRequests) ledger.record('web', request.events);
    const sentItems = segmentRequests.reduce((sum, request) => sum + request.events.length, 0);
    expect(sentItems).toBe(SEGMENT_EVENTS + retried);
    expect(ledger.events.size).toBe(SEGMENT_EVENTS);
    expect(await relay.store.countEvents()).toBe(SEGMENT_EVENTS);
  });

  // gzip: false because the SDK's default (gzip: true) is refused with 415: see the last test.
  it('stores 500 events sent by @rudderstack/rudder-sdk-node (Basic auth), with retried duplicates', async () => {
    const statuses: number[] = [];
    const axiosInstance = axios.create();
    axiosInstance.interceptors.request.use((config) => {
      const body = JSON.stringify(config.data);
      rudderRequests.push({
        path: '/v1/batch',
        source: 'server',
        headers: jsonHeaders('server'),
        body,
        events: eventsOf(body),
      });
      return config;
    });
    axiosInstance.interceptors.response.use((response) => {
      statuses.push(response.status);
      return response;
    });
    const errors: unknown[] = [];
    const client = new RudderAnalytics(WRITE_KEYS.server, {
      dataPlaneUrl: relay.url,
      flushAt: 50,
      flushInterval: 100,
      retryCount: 2,
      gzip: false,
      logLevel: 'error',
      axiosInstance,
      errorHandler: (error) => errors.push(error),
    });

    const delivered: Promise<void>[] = [];
    const send = (call: RudderCall) =>
      delivered.push(
        new Promise((resolve, reject) =>
          sendWithRudder(client, call, (error) => (error ? reject(error) : resolve())),
        ),
      );
    let retried = 0;
    for (let i = 0; i < RUDDER_EVENTS; i++) {
      send(rudderCall(i));
      if (i % 10 === 9) {
        send(rudderCall(i - 5));
        retried++;
      }
    }
    await Promise.all(delivered);

    expect(errors).toEqual([]);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    for (const request of rudderRequests) ledger.record('server', request.events);
    const sentItems = rudderRequests.reduce((sum, request) => sum + request.events.length, 0);
    expect(sentItems).toBe(RUDDER_EVENTS + retried);
    expect(ledger.events.size).toBe(SEGMENT_EVENTS + RUDDER_EVENTS);
    expect(await relay.store.countEvents()).toBe(SEGMENT_EVENTS + RUDDER_EVENTS);
  });

  it('answers 200 to raw re-posts of the same payloads on /v1/batch and both webhooks, and stores nothing new', async () => {
    const segmentEvents = segmentRequests.flatMap((request) => request.events);
    const rudderEvents = rudderRequests.flatMap((request) => request.events);
    const posts: IntakePost[] = [
      // The SDKs' own requests, byte for byte, as a retry after a lost response would send them.
      ...segmentRequests,
      ...rudderRequests,
      // The same RudderStack batches gzip-compressed (Content-Encoding: gzip).
      ...rudderRequests.map((request) => ({
        ...request,
        headers: { ...request.headers, 'content-encoding': 'gzip' },
        body: gzipSync(request.body),
      })),
      // Segment Actions webhook in batch mode (an array), and the classic one (one event per request).
      jsonPost('/webhooks/segment', 'web', segmentEvents.slice(0, 200)),
      ...segmentEvents.slice(200, 230).map((event) => jsonPost('/webhooks/segment', 'web', event)),
      ...segmentEvents.slice(230, 250).map((event) => signedSegmentWebhook(event)),
      // The credential picks the source, not the route: web events with the web key on /webhooks/rudderstack.
      ...segmentEvents.slice(250, 270).map((event) => jsonPost('/webhooks/rudderstack', 'web', event)),
      // RudderStack's webhook destination (one event per request) and its HTTP destination (an array).
      ...rudderEvents.slice(0, 50).map((event) => jsonPost('/webhooks/rudderstack', 'server', event)),
      jsonPost('/webhooks/rudderstack', 'server', rudderEvents.slice(50, 150)),
    ];

    const countBefore = await relay.store.countEvents();
    const queue = new PQueue({ concurrency: 8 });
    const replies = await queue.addAll(
      posts.map((post) => () => postRaw(relay.url + post.path, post.body, post.headers)),
    );

    expect(replies.filter((reply) => reply.status !== 200)).toEqual([]);
    expect(replies.every((reply) => (reply.body as { success?: unknown }).success === true)).toBe(true);
    for (const post of posts) ledger.record(post.source, post.events);
    expect(ledger.events.size).toBe(SEGMENT_EVENTS + RUDDER_EVENTS);
    expect(await relay.store.countEvents()).toBe(countBefore);
  });

  it('keeps the same messageId from two sources as two events, each deduplicated within its source', async () => {
    const batch = Array.from({ length: SHARED_IDS }, (_, i) => ({
      type: 'track',
      userId: `shared-user-${i}`,
      event: 'Signed Up',
      messageId: `shared-${i}`,
    }));
    const sends = [
      { path: '/v1/batch', source: 'web' as const, body: JSON.stringify({ batch }) },
      { path: '/webhooks/rudderstack', source: 'server' as const, body: JSON.stringify(batch) },
    ];
    for (let round = 0; round < 2; round++) {
      for (const send of sends) {
        const reply = await postRaw(relay.url + send.path, send.body, jsonHeaders(send.source));
        expect(reply).toEqual({ status: 200, body: { success: true } });
        ledger.record(send.source, batch);
      }
    }
    expect(ledger.events.size).toBe(SEGMENT_EVENTS + RUDDER_EVENTS + 2 * SHARED_IDS);
    for (let i = 0; i < SHARED_IDS; i++) {
      const events = await relay.store.findEventsByMessageId(`shared-${i}`);
      expect(events.map((event) => event.source).sort()).toEqual(['server', 'web']);
    }
  });

  it('stores exactly one event per distinct (source, messageId), and counts the rest as duplicates', async () => {
    const distinct = ledger.events.size;
    expect(await relay.store.countEvents()).toBe(distinct);

    const outcomes = await relay.metrics.eventsTotal.get();
    const total = (outcome: string) =>
      outcomes.values
        .filter((value) => value.labels.outcome === outcome)
        .reduce((sum, value) => sum + value.value, 0);
    expect(total('stored')).toBe(distinct);
    expect(total('stored') + total('duplicate')).toBe(ledger.itemsPosted);

    const bySource = new Map<string, SourceName[]>();
    for (const { source, messageId } of ledger.events.values()) {
      expect(await relay.store.findEventsByMessageId(messageId, source)).toHaveLength(1);
      bySource.set(messageId, [...(bySource.get(messageId) ?? []), source]);
    }
    for (const [messageId, sources] of bySource) {
      const events = await relay.store.findEventsByMessageId(messageId);
      expect(events.map((event) => event.source).sort()).toEqual([...sources].sort());
    }
  });

  it('finds every messageId through the admin API, once per source', async () => {
    const queue = new PQueue({ concurrency: 16 });
    const entries = [...ledger.events.values()];
    const found = await queue.addAll(
      entries.map((entry) => async () => ({
        entry,
        reply: await fetchStoredEvent(relay.url, ADMIN_TOKEN, entry.messageId, entry.source),
      })),
    );
    const mismatches = found.filter(
      ({ entry, reply }) =>
        reply.status !== 200 ||
        reply.event?.source !== entry.source ||
        reply.event.messageId !== entry.messageId ||
        reply.event.type !== entry.type ||
        reply.event.body.messageId !== entry.messageId ||
        reply.event.others !== 0,
    );
    expect(mismatches).toEqual([]);
    expect(found).toHaveLength(SEGMENT_EVENTS + RUDDER_EVENTS + 2 * SHARED_IDS);

    // Without ?source, the answer says how many other sources sent the same messageId.
    const shared = await fetchStoredEvent(relay.url, ADMIN_TOKEN, 'shared-0');
    expect(shared.event?.others).toBe(1);
    expect((await fetchStoredEvent(relay.url, ADMIN_TOKEN, 'never-sent')).status).toBe(404);
    expect((await fetchStoredEvent(relay.url, 'not-the-admin-token-at-all', 'seg-0')).status).toBe(401);
  });

  // With its default gzip: true, rudder-sdk-node sends the gzip body as
  // `Content-Type: application/x-www-form-urlencoded`; the intake reads it as JSON all the same.
  it('stores events sent with the RudderStack SDK defaults (gzip body, form content type)', async () => {
    const client = new RudderAnalytics(WRITE_KEYS.server, {
      dataPlaneUrl: relay.url,
      flushAt: 5,
      flushInterval: 50,
      retryCount: 0,
      logLevel: 'none',
      errorHandler: () => undefined,
    });
    const calls = Array.from({ length: 5 }, (_, i) => rudderCall(RUDDER_EVENTS + i));
    const errors = await Promise.all(
      calls.map((call) => new Promise<unknown>((resolve) => sendWithRudder(client, call, resolve))),
    );
    expect(errors.filter(Boolean)).toEqual([]);
    for (const call of calls) {
      expect(await relay.store.findEventsByMessageId(call.params.messageId, 'server')).toHaveLength(1);
    }
  });
});
