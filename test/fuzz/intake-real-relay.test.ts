import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  fetchStoredEvent,
  startRelayProcess,
  WRITE_KEYS,
  type RelayProcess,
} from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { postBytes } from '../ingest/intake-relay.js';
import { deepText, FUZZ_SEED, mutatedEventText } from './intake-arbitraries.js';

/**
 * A short fuzz run against a real relay process (the repository's mappings, its own SQLite file):
 * the same inputs as the in-process targets, over a real socket, with the background thread on.
 */

const ADMIN_TOKEN = 'real-relay-fuzz-admin-token-0123';
const RUNS = Math.max(100, Math.round(Number(process.env.FUZZ_RUNS ?? 1000) / 5));

let dir: string;
let relay: RelayProcess;

beforeAll(async () => {
  dir = makeTempDir('relay-fuzz-process-');
  relay = await startRelayProcess({ storeUrl: `sqlite:${join(dir, 'relay.db')}`, adminToken: ADMIN_TOKEN });
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  removeTempDir(dir);
});

describe('intake fuzz against a relay process', () => {
  it(`answers ${RUNS} hostile requests without a 5xx, and still stores a normal event`, async () => {
    const body = fc.oneof(
      mutatedEventText.map((event) => ({ path: `/v1/${event.type}`, text: event.text })),
      fc.array(mutatedEventText, { minLength: 1, maxLength: 3 }).map((events) => ({
        path: '/v1/batch',
        text: `{"batch":[${events.map((event) => event.text).join(',')}]}`,
      })),
      deepText.map((text) => ({ path: '/webhooks/segment', text })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ path: '/v1/track', text })),
    );
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(body, async ({ path, text }) => {
        const res = await postBytes(relay.url + path, text, {
          'content-type': 'application/json',
          authorization: basicAuth(WRITE_KEYS.web),
        });
        statuses.push(res.status);
        expect(res.status, `${path} ${text.slice(0, 200)} -> ${JSON.stringify(res.body)}`).toBeLessThan(500);
      }),
      { numRuns: RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(relay.stderr()).not.toMatch(/Maximum call stack|RangeError|uncaught/i);
    const id = `process-fuzz-after-${Date.now()}`;
    const res = await postBytes(
      `${relay.url}/v1/track`,
      JSON.stringify({ userId: 'u', event: 'After', messageId: id }),
      {
        'content-type': 'application/json',
        authorization: basicAuth(WRITE_KEYS.web),
      },
    );
    expect(res.status).toBe(200);
    expect((await fetchStoredEvent(relay.url, ADMIN_TOKEN, id)).status).toBe(200);
    expect((await fetch(`${relay.url}/readyz`)).status).toBe(200);
  }, 120_000);
});
