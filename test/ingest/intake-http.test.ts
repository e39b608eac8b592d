import BetterSqlite3 from 'better-sqlite3';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/lib/logger.js';
import { startRelay, type RunningRelay } from '../../src/relay.js';

const WRITE_KEY = 'test-web-write-key';
const SERVER_KEY = 'test-server-write-key';
const WEBHOOK_SECRET = 'test-webhook-secret';
const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
const EMAIL = 'ada.lovelace@example.com';

const root = mkdtempSync(join(tmpdir(), 'relay-intake-'));
const logLines: string[] = [];
let relay: RunningRelay;
let dbPath: string;

beforeAll(async () => {
  dbPath = join(root, 'relay.db');
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  relay = await startRelay({
    env: readEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      STORE_URL: `sqlite:${dbPath}`,
      MAPPINGS_DIR: new URL('./fixtures/mappings', import.meta.url).pathname,
      ADMIN_TOKEN,
      SQLITE_BUSY_TIMEOUT_MS: '100',
    }),
    processEnv: {
      TEST_WRITE_KEY: WRITE_KEY,
      TEST_SERVER_KEY: SERVER_KEY,
      TEST_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    logger: createLogger({ level: 'debug' }, logStream),
  });
});

afterAll(async () => {
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

const api = () => request(relay.url);
let sequence = 0;
const track = (extra: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Order Completed',
  userId: 'user-42',
  messageId: `msg-${++sequence}`,
  properties: { revenue: 42 },
  context: { traits: { email: EMAIL } },
  ...extra,
});
/** Sends exact bytes (supertest would re-encode a Buffer sent as JSON). */
const postRaw = (path: string, body: Buffer, headers: Record<string, string>) =>
  fetch(relay.url + path, {
    method: 'POST',
    body: new Uint8Array(body),
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
      ...headers,
    },
  });
const storedCount = (messageId: string) => relay.store.findEventsByMessageId(messageId).then((e) => e.length);

describe('200: accepted once durable', () => {
  it('stores a single /v1/track event and answers {"success":true}', async () => {
    const event = track();
    const res = await api().post('/v1/track').auth(WRITE_KEY, '').send(event);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await storedCount(event.messageId)).toBe(1);
  });

  it('answers a retried event 200 and stores it once', async () => {
    const event = track();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await api().post('/v1/track').auth(WRITE_KEY, '').send(event)).status).toBe(200);
    }
    expect(await storedCount(event.messageId)).toBe(1);
  });

  it('takes the type from the path and merges batch context into each item', async () => {
    const batch = { batch: [track({ context: { page: { path: '/a' } } })], context: { ip: '10.0.0.1' } };
    expect((await api().post('/v1/batch').auth(WRITE_KEY, '').send(batch)).status).toBe(200);
    const [stored] = await relay.store.findEventsByMessageId(batch.batch[0]?.messageId as string);
    expect(stored?.body.context).toEqual({ ip: '10.0.0.1', page: { path: '/a' } });
    const page = { userId: 'user-42', messageId: `msg-${++sequence}`, name: 'Pricing' };
    expect((await api().post('/v1/page').auth(WRITE_KEY, '').send(page)).status).toBe(200);
    expect((await relay.store.findEventsByMessageId(page.messageId))[0]?.type).toBe('page');
  });

  it('corrects originalTimestamp by the sentAt clock skew when there is no timestamp', async () => {
    const event = track({
      originalTimestamp: '2026-01-01T00:00:00.000Z',
      sentAt: '2026-01-01T00:00:10.000Z',
    });
    await api().post('/v1/track').auth(WRITE_KEY, '').send(event).expect(200);
    const [stored] = await relay.store.findEventsByMessageId(event.messageId);
    expect(stored ? stored.receivedAt - stored.eventTime : NaN).toBe(10_000);
  });

  it('derives the same messageId for a retried event sent without one', async () => {
    const { messageId: _dropped, ...event } = track({ timestamp: '2026-02-02T10:00:00.000Z' });
    await api()
      .post('/v1/batch')
      .auth(WRITE_KEY, '')
      .send({ batch: [event], sentAt: new Date().toISOString() });
    await api()
      .post('/v1/batch')
      .auth(WRITE_KEY, '')
      .send({ batch: [event], sentAt: new Date().toISOString() });
    const rows = new BetterSqlite3(dbPath, { readonly: true })
      .prepare(`SELECT message_id FROM events WHERE message_id LIKE 'derived-%' AND event_time = ?`)
      .all(Date.parse('2026-02-02T10:00:00.000Z'));
    expect(rows).toHaveLength(1);
  });

  it('accepts gzip-encoded bodies', async () => {
    const event = track();
    const res = await postRaw('/v1/track', gzipSync(JSON.stringify(event)), { 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(await storedCount(event.messageId)).toBe(1);
  });

  it('accepts a RudderStack webhook array with Basic auth', async () => {
    const events = [track(), track({ type: 'identify', traits: { plan: 'pro' } })];
    await api().post('/webhooks/rudderstack').auth(SERVER_KEY, '').send(events).expect(200);
    expect((await relay.store.findEventsByMessageId(events[1]?.messageId as string))[0]?.source).toBe(
      'server',
    );
  });

  it('accepts a Segment webhook signed with X-Signature over the raw body, and a batch (array) with the write key', async () => {
    const single = JSON.stringify(track());
    const sign = (text: string) => createHmac('sha1', WEBHOOK_SECRET).update(text).digest('hex');
    await api()
      .post('/webhooks/segment')
      .set('Content-Type', 'application/json')
      .set('X-Signature', sign(single))
      .send(single)
      .expect(200);
    const batch = [track(), track()];
    await api().post('/webhooks/segment').auth(WRITE_KEY, '').send(batch).expect(200);
    expect(await storedCount(batch[1]?.messageId as string)).toBe(1);
  });

  it('accepts the write key in the body, as the Segment HTTP API does', async () => {
    await api()
      .post('/v1/batch')
      .send({ batch: [track()], writeKey: WRITE_KEY })
      .expect(200);
  });
});

describe('400: names every offending field', () => {
  it('lists each invalid field of each batch item', async () => {
    const batch = [
      track(),
      { type: 'track', userId: 'u' },
      { type: 'alias', userId: 'u' },
      { type: 'spaceship', userId: 'u' },
      { type: 'page', timestamp: 'yesterday', userId: 'u' },
      { type: 'track', event: 'X' },
    ];
    const res = await api().post('/v1/batch').auth(WRITE_KEY, '').send({ batch });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((issue: { path: string }) => issue.path)).toEqual([
      'batch[1].event',
      'batch[2].previousId',
      'batch[3].type',
      'batch[4].timestamp',
      'batch[5].userId',
    ]);
    expect(res.body.error).toContain('batch[1].event: is required');
    expect(await storedCount((batch[0] as { messageId: string }).messageId)).toBe(0);
  });

  it('names the body when it is not JSON, and batch when it is missing', async () => {
    const notJson = await api().post('/v1/track').auth(WRITE_KEY, '').type('json').send('{"type":');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/^body: /);
    const noBatch = await api().post('/v1/batch').auth(WRITE_KEY, '').send({ events: [] });
    expect(noBatch.status).toBe(400);
    expect(noBatch.body.error).toMatch(/^batch: /);
  });

  it('names the field of a single event', async () => {
    const res = await api().post('/v1/group').auth(WRITE_KEY, '').send({ userId: 'u' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('groupId: is required');
  });
});

describe('401: wrong or missing credential', () => {
  it('refuses an unknown write key', async () => {
    const res = await api().post('/v1/track').auth('not-a-key', '').send(track());
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/^Authorization: /);
  });

  it('refuses a request with no credential', async () => {
    const res = await api().post('/webhooks/rudderstack').send(track());
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/^Authorization: /);
  });

  it('refuses a Segment webhook with a wrong signature', async () => {
    const res = await api().post('/webhooks/segment').set('X-Signature', 'ab'.repeat(20)).send(track());
    expect(res.status).toBe(401);
  });

  // Segment's batching webhook signs only the first event of the array: anyone who saw one signed
  // request could append events to it. An array therefore needs the write key.
  it('refuses an array authenticated only by a signature over its first event, storing nothing', async () => {
    const sign = (text: string) => createHmac('sha1', WEBHOOK_SECRET).update(text).digest('hex');
    const signed = track();
    const appended = track({ userId: 'someone-else', event: 'Refund Issued' });
    const res = await api()
      .post('/webhooks/segment')
      .set('X-Signature', sign(JSON.stringify(signed)))
      .send([signed, appended]);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/^Authorization: an array of events needs the write key/);
    expect(await storedCount(appended.messageId)).toBe(0);
    expect(await storedCount(signed.messageId)).toBe(0);
    // The same bytes signed whole are still not enough: an array needs the write key.
    const whole = JSON.stringify([signed]);
    const wholeSigned = await api()
      .post('/webhooks/segment')
      .set('Content-Type', 'application/json')
      .set('X-Signature', sign(whole))
      .send(whole);
    expect(wholeSigned.status).toBe(401);
  });

  it('refuses a single event whose signature was made for other bytes', async () => {
    const sign = (text: string) => createHmac('sha1', WEBHOOK_SECRET).update(text).digest('hex');
    const original = track();
    const tampered = JSON.stringify({ ...original, properties: { revenue: 1_000_000 } });
    const res = await api()
      .post('/webhooks/segment')
      .set('Content-Type', 'application/json')
      .set('X-Signature', sign(JSON.stringify(original)))
      .send(tampered);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatch(/^X-Signature: /);
  });
});

describe('413: too large', () => {
  it('names the event over 32 KB', async () => {
    const big = track({ properties: { blob: 'x'.repeat(33 * 1024) } });
    const res = await api()
      .post('/v1/batch')
      .auth(WRITE_KEY, '')
      .send({ batch: [track(), big] });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/^batch\[1\]: event is \d+ bytes; at most 32768/);
  });

  it('refuses a request over 500 KB', async () => {
    const batch = Array.from({ length: 20 }, () => track({ properties: { blob: 'x'.repeat(30 * 1024) } }));
    const res = await api().post('/v1/batch').auth(WRITE_KEY, '').send({ batch });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatch(/^body: at most 512000 bytes/);
  });
});

describe('415: not JSON', () => {
  it('refuses a CSV body, naming Content-Type', async () => {
    const res = await api().post('/v1/track').auth(WRITE_KEY, '').type('text/csv').send('a,b');
    expect(res.status).toBe(415);
    expect(res.body.error).toMatch(/^Content-Type: /);
  });

  it('refuses an unsupported Content-Encoding', async () => {
    const res = await postRaw('/v1/track', Buffer.from('{}'), { 'Content-Encoding': 'x-unknown' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: string }).error).toMatch(/^Content-Encoding: /);
  });
});

describe('503: store cannot write', () => {
  it('answers 503 with Retry-After while another process holds the write lock, then recovers', async () => {
    const other = new BetterSqlite3(dbPath);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const event = track();
      const res = await api().post('/v1/track').auth(WRITE_KEY, '').send(event);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.error).toMatch(/^store: /);
      expect((await api().get('/readyz')).status).toBe(503);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await api().post('/v1/track').auth(WRITE_KEY, '').send(track()).expect(200);
    expect((await api().get('/readyz')).status).toBe(200);
  }, 30_000);
});

describe('operations', () => {
  it('serves health, readiness and metrics with events by source, type and outcome', async () => {
    await api().get('/healthz').expect(200);
    const metrics = await api().get('/metrics');
    expect(metrics.text).toMatch(/relay_events_total\{source="web",type="track",outcome="stored"\} \d+/);
    expect(metrics.text).toMatch(/relay_events_total\{source="web",type="track",outcome="duplicate"\} \d+/);
    expect(metrics.text).toContain('relay_store_commit_seconds_bucket');
    expect(metrics.text).toContain('relay_store_commit_group_events_bucket');
  });

  it('answers "did this event arrive?" through the admin API, behind the bearer token', async () => {
    const event = track();
    await api().post('/v1/track').auth(WRITE_KEY, '').send(event).expect(200);
    await api().get(`/admin/api/events/${event.messageId}`).expect(401);
    const found = await api()
      .get(`/admin/api/events/${event.messageId}`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ messageId: event.messageId, source: 'web', type: 'track' });
    const missing = await api()
      .get('/admin/api/events/never-sent')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/^messageId: /);
  });

  it('never writes secrets or raw identifiers to the log', () => {
    const log = logLines.join('');
    expect(log).toContain('intake request rejected');
    for (const secret of [WRITE_KEY, SERVER_KEY, WEBHOOK_SECRET, ADMIN_TOKEN, EMAIL, 'user-42']) {
      expect(log).not.toContain(secret);
    }
  });
});
