import { Analytics } from '@segment/analytics-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBraze, type FakeBraze } from '../src/destinations/braze/fake-server.js';
import { startFakeHubspot, type FakeHubspot } from '../src/destinations/hubspot/fake-server.js';
import { MAPPINGS_DIR, startRelayProcess, WRITE_KEYS, type RelayProcess } from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * The README's walk-through, as `npm start` runs it: the relay as a child process (processing and
 * delivery in their worker thread, the real clock), the fake Braze and HubSpot servers, events sent
 * with @segment/analytics-node. One entry caused by events, and one exit caused by time alone.
 */
const ADMIN_TOKEN = 'process-e2e-admin-token-00000001';
/** Long enough for a Braze batch (1 s max wait) and a 3 s window; a poll ends as soon as it holds. */
const WAIT_MS = 15_000;

/** An audience that a click enters and time alone leaves, 3 s later. */
const QUICK_CLICKERS =
  'audiences:\n  quick_clickers:\n    rule: { performed: { event: Clicked }, at_least: 1, within: 3s }\n';

/** The example destinations, with Braze also syncing quick_clickers. */
function destinationsWithQuickClickers(): string {
  const written = readFileSync(join(MAPPINGS_DIR, 'destinations.yaml'), 'utf8');
  const list = 'audiences: [high_intent, cart_abandoners, trial_ending, champions]';
  if (!written.includes(list)) throw new Error(`mappings/destinations.yaml no longer lists ${list}`);
  return written.replace(list, list.replace(']', ', quick_clickers]'));
}

const root = makeTempDir('relay-process-e2e-');
let braze: FakeBraze;
let hubspot: FakeHubspot;
let relay: RelayProcess;

beforeAll(async () => {
  braze = await startFakeBraze();
  hubspot = await startFakeHubspot();
  relay = await startRelayProcess({
    storeUrl: `sqlite:${join(root, 'relay.db')}`,
    adminToken: ADMIN_TOKEN,
    root,
    destinations: ['braze', 'hubspot'],
    mappingFiles: {
      'destinations.yaml': destinationsWithQuickClickers(),
      'quick-clickers.yaml': QUICK_CLICKERS,
    },
    env: { DESTINATIONS_ENABLED: 'true', BRAZE_REST_ENDPOINT: braze.url, HUBSPOT_ENDPOINT: hubspot.url },
  });
});

afterAll(async () => {
  await relay?.stop();
  await braze?.close();
  await hubspot?.close();
  removeTempDir(root);
});

/** Sends what `calls` queues with the Segment SDK pointed at the relay; every request must get 200. */
async function sendWithSegment(calls: (analytics: Analytics) => void): Promise<void> {
  const analytics = new Analytics({
    writeKey: WRITE_KEYS.web,
    host: relay.url,
    flushAt: 50,
    flushInterval: 50,
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
}

/** Values of one attribute Braze accepted for one external_id, in order. */
function brazeValues(externalId: string, attribute: string): unknown[] {
  return braze.accepted().flatMap((request) => {
    const body = request.body as { attributes?: Record<string, unknown>[] };
    return (body.attributes ?? [])
      .filter((object) => object.external_id === externalId && Object.hasOwn(object, attribute))
      .map((object) => object[attribute]);
  });
}

/** Polls Braze until the attribute's values for `externalId` are `expected`; returns the last seen. */
async function brazeValuesOnceThey(externalId: string, attribute: string, expected: unknown[]) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const values = brazeValues(externalId, attribute);
    if (JSON.stringify(values) === JSON.stringify(expected) || Date.now() > deadline) return values;
    await delay(50);
  }
}

describe('the relay process: Segment SDK -> intake -> worker thread -> fake Braze', () => {
  it('delivers segment_cart_abandoners: true for a product added and no order', async () => {
    await sendWithSegment((analytics) => {
      analytics.track({
        userId: 'process-cart-1',
        event: 'Product Added',
        properties: { product_id: 'sku-1', price: 20 },
      });
    });
    expect(await brazeValuesOnceThey('process-cart-1', 'segment_cart_abandoners', [true])).toEqual([true]);
    expect(braze.attributesFor('process-cart-1')).toMatchObject({ segment_cart_abandoners: true });
  });

  it('delivers an exit caused by time alone: quick_clickers true, then false with no new event', async () => {
    await sendWithSegment((analytics) => {
      analytics.track({ userId: 'process-clicker-1', event: 'Clicked' });
    });
    // Entered on the click; left when the click is 3 s old, found by the scheduler alone.
    expect(await brazeValuesOnceThey('process-clicker-1', 'segment_quick_clickers', [true, false])).toEqual([
      true,
      false,
    ]);
  });
});
