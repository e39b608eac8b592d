import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBraze, type FakeBraze } from '../../src/destinations/braze/fake-server.js';
import { startFakeHubspot, type FakeHubspot } from '../../src/destinations/hubspot/fake-server.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { RunningRelay } from '../../src/relay.js';
import { basicAuth, WRITE_KEYS } from '../helpers/relay-process.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * A merge folds what destinations were told of the merged-away profile into the survivor
 * (docs/delivery.md, "Merges"): an anonymous lead whose e-mail HubSpot holds as high intent merges
 * into a known customer, who is not high intent; HubSpot hears the exit for that e-mail.
 */

const root = makeTempDir('relay-merge-fold-');
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
let braze: FakeBraze;
let hubspot: FakeHubspot;
let relay: RunningRelay;

beforeAll(async () => {
  braze = await startFakeBraze();
  hubspot = await startFakeHubspot();
  relay = await startTestRelay({
    root,
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

async function send(batch: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch: batch.map((call) => ({ ...call, timestamp: new Date(clock.now()) })) }),
  });
  expect(res.status).toBe(200);
  await relay.whenIdle();
}

async function waitFor(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

/** Every outbox row fanned out and nothing pending. */
async function drained(): Promise<boolean> {
  const { store } = relay;
  const cursor = await store.readCursor('delivery');
  if ((await store.readOutbox(cursor, 1)).length > 0) return false;
  return (await store.pendingCount('hubspot')) + (await store.pendingCount('braze')) === 0;
}

const highIntentOf = (email: string) =>
  hubspot
    .accepted()
    .flatMap((request) =>
      (request.body as { inputs: { id: string; properties: Record<string, string> }[] }).inputs
        .filter((input) => input.id === email && 'relay_high_intent' in input.properties)
        .map((input) => input.properties.relay_high_intent),
    );

describe('merges fold delivery knowledge into the survivor', () => {
  it('HubSpot hears the exit for the merged-away e-mail when the survivor is not in the audience', async () => {
    const email = 'lead.fold@example.com';
    // The known customer (no e-mail, so HubSpot has never heard of them).
    await send([
      { type: 'identify', userId: 'cust-1', traits: { is_customer: true }, messageId: 'fold-cust' },
    ]);
    // The anonymous lead with an e-mail, four pricing views: high intent, told to HubSpot by e-mail.
    await send([
      { type: 'identify', anonymousId: 'anon-9', traits: { email }, messageId: 'fold-id' },
      ...[1, 2, 3, 4].map((n) => ({
        type: 'page',
        anonymousId: 'anon-9',
        name: 'Pricing',
        context: { page: { path: '/pricing' } },
        messageId: `fold-pricing-${n}`,
      })),
    ]);
    await waitFor('HubSpot to hear high intent for the e-mail', () => highIntentOf(email).includes('true'));
    await waitFor('delivery to drain', drained);

    // The lead logs in as the customer: the anonymous profile merges into the customer's, who stays
    // out of high_intent (is_customer). Without folding, the survivor's delivered state says "never in
    // high_intent", the exit would be no change, and HubSpot would keep "true" for that e-mail.
    await send([
      { type: 'track', userId: 'cust-1', anonymousId: 'anon-9', event: 'Logged In', messageId: 'fold-login' },
    ]);
    const owners = await relay.store.findProfileIds([
      { kind: 'userId', value: 'cust-1' },
      { kind: 'email', value: email },
    ]);
    expect(new Set(owners.values()).size).toBe(1); // one person now
    const rows = await relay.store.readOutbox(0, 10_000);
    expect(rows.filter((row) => row.kind === 'merge')).toHaveLength(1);

    await waitFor('HubSpot to hear the exit for the e-mail', () => highIntentOf(email).includes('false'));
    await waitFor('delivery to drain', drained);
    expect(highIntentOf(email)).toEqual(['true', 'false']);
    expect(hubspot.contact(email)?.relay_high_intent).toBe('false');
    const survivor = owners.get('userId:cust-1') as string;
    expect(await relay.store.deliveredState('hubspot', survivor)).toMatchObject({
      audiences: { high_intent: false },
    });
  });
});
