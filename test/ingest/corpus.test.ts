import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, postBytes, startIntakeRelay, storedEvent, type IntakeRelay } from './intake-relay.js';

/**
 * Real payloads from public SDKs, docs and test suites (test/ingest/corpus/<where from>/), replayed
 * through the intake the way their sender posts them: valid ones are answered 200 and stored as
 * sent; spec-invalid ones are answered 400 naming the field.
 */

const CORPUS = fileURLToPath(new URL('./corpus/', import.meta.url));

const CorpusEntry = z.strictObject({
  /** Where the payload comes from: a public URL (and repository path). */
  source: z.string().min(20),
  note: z.string().optional(),
  /** Where its sender posts it. */
  endpoint: z.string().regex(/^\/(v1\/[a-z]+|webhooks\/(segment|rudderstack))$/),
  /** basic: write key as the Basic auth user name; body: in `writeKey`; browser: analytics.js (text/plain, Origin, writeKey in the body). */
  auth: z.enum(['basic', 'body', 'browser']),
  expect: z.union([z.literal(200), z.strictObject({ status: z.literal(400), field: z.string() })]),
  payload: z.union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown()))]),
});
type CorpusEntry = z.infer<typeof CorpusEntry>;
type Json = Record<string, unknown>;

const files = readdirSync(CORPUS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) =>
    readdirSync(join(CORPUS, dir.name))
      .filter((file) => file.endsWith('.json'))
      .map((file) => `${dir.name}/${file}`),
  )
  .sort();

/** Payloads reuse messageIds (test suites' fixed ids): each goes to a source where its ids are new. */
const SOURCE_COUNT = 12;
const sources = Object.fromEntries(
  Array.from({ length: SOURCE_COUNT }, (_, i) => [`corpus${i}`, { write_key: `corpus-write-key-${i}` }]),
);
const usedKeys = Array.from({ length: SOURCE_COUNT }, () => new Set<string>());

const SINGLE: Record<string, string> = {
  track: 'track',
  identify: 'identify',
  page: 'page',
  screen: 'screen',
  group: 'group',
  alias: 'alias',
  t: 'track',
  i: 'identify',
  p: 'page',
  s: 'screen',
  g: 'group',
  a: 'alias',
};

/** The events a payload carries, each as the relay should store it (before a derived messageId). */
function expectedEvents(entry: CorpusEntry, payload: Json | Json[]): Json[] {
  const method = entry.endpoint.startsWith('/v1/') ? entry.endpoint.slice('/v1/'.length) : undefined;
  let events: Json[];
  if (method !== undefined && SINGLE[method]) events = [{ ...(payload as Json), type: SINGLE[method] }];
  else if (Array.isArray(payload)) events = payload;
  else if (Array.isArray(payload.batch)) {
    const { batch, context, integrations, sentAt } = payload as {
      batch: Json[];
      context?: Json;
      integrations?: Json;
      sentAt?: string;
    };
    events = batch.map((item) => ({
      ...item,
      ...(context ? { context: { ...context, ...(item.context as Json | undefined) } } : {}),
      ...(integrations
        ? { integrations: { ...integrations, ...(item.integrations as Json | undefined) } }
        : {}),
      ...(sentAt && item.sentAt == null ? { sentAt } : {}),
    }));
  } else events = [payload];
  return events.map(({ writeKey: _credential, ...event }) => event);
}

function dedupeKey(event: Json): string {
  return typeof event.messageId === 'string' ? event.messageId : JSON.stringify(event);
}

let harness: IntakeRelay;

beforeAll(async () => {
  harness = await startIntakeRelay({ sources });
});

afterAll(async () => {
  await harness?.close();
});

describe('real-payload corpus', () => {
  it('has at least 60 payloads from at least 4 sources', () => {
    expect(files.length).toBeGreaterThanOrEqual(60);
    expect(new Set(files.map((file) => file.split('/')[0])).size).toBeGreaterThanOrEqual(4);
  });

  for (const file of files) {
    const entry = CorpusEntry.parse(JSON.parse(readFileSync(join(CORPUS, file), 'utf8')));
    const label = entry.expect === 200 ? '200, stored as sent' : `400 naming ${entry.expect.field}`;
    it(`${file}: ${entry.endpoint} -> ${label}`, async () => {
      const keys = expectedEvents(entry, entry.payload).map(dedupeKey);
      const index = usedKeys.findIndex((used) => keys.every((key) => !used.has(key)));
      expect(index, 'a source where these messageIds are new').toBeGreaterThanOrEqual(0);
      const source = `corpus${index}`;
      const writeKey = `corpus-write-key-${index}`;
      const payload =
        entry.auth === 'basic' || Array.isArray(entry.payload)
          ? entry.payload
          : { ...entry.payload, writeKey };
      const headers: Record<string, string> =
        entry.auth === 'browser'
          ? { 'content-type': 'text/plain', origin: 'https://www.example.com' }
          : entry.auth === 'body'
            ? { 'content-type': 'application/json' }
            : { 'content-type': 'application/json', authorization: basic(writeKey) };

      const before = await harness.relay.store.lastSeq();
      const res = await postBytes(harness.relay.url + entry.endpoint, JSON.stringify(payload), headers);
      const stored = await harness.relay.store.readEventsAfter(before, 10_000);

      if (entry.expect !== 200) {
        expect(res.status, JSON.stringify(res.body)).toBe(400);
        const paths = (res.body.issues as { path: string }[] | undefined)?.map((issue) => issue.path) ?? [];
        expect([...paths, String(res.body.error).split(':')[0]]).toContain(entry.expect.field);
        expect(String(res.body.error)).toContain(`${entry.expect.field}: `);
        expect(stored).toEqual([]);
        return;
      }
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      for (const key of keys) usedKeys[index]?.add(key);
      const expected = expectedEvents(entry, payload);
      expect(stored).toHaveLength(expected.length);
      for (const [i, event] of expected.entries()) {
        const row = stored[i];
        expect(row?.source).toBe(source);
        let withId = typeof event.messageId === 'string' ? event : { ...event, messageId: row?.messageId };
        if (typeof event.messageId !== 'string') expect(row?.messageId).toMatch(/^derived-[0-9a-f]{32}$/);
        // An event time over 24h ahead of the receive time is counted at the receive time and flagged.
        const flag = (row?.body._relay as { clampedEventTime?: string } | undefined)?.clampedEventTime;
        if (flag !== undefined && row) {
          expect(row.eventTime).toBe(row.receivedAt);
          expect(Date.parse(flag) - row.receivedAt).toBeGreaterThan(24 * 3600_000);
          withId = { ...withId, _relay: { clampedEventTime: flag } };
        }
        expect(row?.body).toEqual(withId);
        if (typeof event.messageId === 'string') {
          const viaAdmin = await storedEvent(harness.relay, event.messageId, source);
          expect(viaAdmin?.body).toEqual(withId);
        }
      }
    });
  }
});
