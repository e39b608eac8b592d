import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sentByRelay } from '../src/ingest/loop-guard.js';
import { ManualClock } from '../src/lib/clock.js';
import type { RunningRelay } from '../src/relay.js';
import { startTestRelay } from './helpers/in-process-relay.js';
import { basicAuth, fetchStoredEvent, pickFreePort, WRITE_KEYS } from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * The loop guard end to end: a `segment` destination pointed at the relay's OWN intake. Unguarded,
 * every "Audience Entered" it sends would come back and raise the synced trait `audience_entries_30d`
 * (a count of those events), which is itself a change to deliver. With the guard, the relay's own
 * messages come back, are stored, and change nothing: after N people enter `cart_abandoners`, the
 * relay sends at most N requests carrying exactly N changes, stores 2N echoes (an identify and an
 * "Audience Entered" each) and then stays quiet. Processing runs on a ManualClock; delivery is real
 * time, so every wait is a bounded poll.
 */

const PEOPLE = 5;
const ADMIN_TOKEN = 'loop-guard-admin-token-0123456789';
const DESTINATION = 'back_to_self';
const WAIT_MS = 15_000;

const root = makeTempDir('relay-loop-guard-');
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
let relay: RunningRelay;

function loopMapping(port: number): string {
  return `
traits:
  audience_entries_30d:
    count: { event: Audience Entered, window: 30d }

destinations:
  ${DESTINATION}:
    type: segment
    settings:
      write_key: ${WRITE_KEYS.web}
      host: http://127.0.0.1:${port}
    audiences: [cart_abandoners]
    traits: [audience_entries_30d]
    send_track_events: true
`;
}

beforeAll(async () => {
  const port = await pickFreePort();
  relay = await startTestRelay({
    root,
    adminToken: ADMIN_TOKEN,
    clock,
    env: { PORT: String(port) },
    mappingFiles: { 'loop.yaml': loopMapping(port) },
  });
});

afterAll(async () => {
  await relay?.close();
  removeTempDir(root);
});

/** Polls until `probe` returns something other than undefined/false; fails after `WAIT_MS`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
    await delay(20);
  }
}

interface LoggedDelivery {
  destination: string;
  status: string;
  items: number;
}

async function deliveries(): Promise<LoggedDelivery[]> {
  const res = await fetch(`${relay.url}/admin/api/deliveries?destination=${DESTINATION}`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: LoggedDelivery[] }).deliveries;
}

async function counter(metric: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await metric.get()).values.reduce((sum, entry) => sum + entry.value, 0);
}

describe('a segment destination pointed at its own relay', () => {
  it('sends each change once, stores its echoes, and reaches a steady state', async () => {
    const at = new Date(clock.now()).toISOString();
    const batch = Array.from({ length: PEOPLE }, (_, i) => ({
      type: 'track',
      event: 'Product Added',
      userId: `loop-user-${i}`,
      messageId: `loop-product-added-${i}`,
      timestamp: at,
    }));
    const sent = await fetch(`${relay.url}/v1/batch`, {
      method: 'POST',
      headers: { Authorization: basicAuth(WRITE_KEYS.web), 'Content-Type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    expect(sent.status).toBe(200);
    await relay.whenIdle();
    const outboxBefore = await relay.store.readOutbox(0, 100_000);
    const entered = outboxBefore.filter((row) => row.name === 'cart_abandoners' && row.value === 'true');
    expect(entered).toHaveLength(PEOPLE);

    // Each person's change comes back as an identify and an "Audience Entered" track.
    await waitFor('every echo to be stored', async () => (await relay.store.countEvents()) >= 3 * PEOPLE);
    await waitFor('the destination to settle every change', async () => {
      const logged = await deliveries();
      const items = logged.reduce((sum, entry) => sum + entry.items, 0);
      return (await relay.store.pendingCount(DESTINATION)) === 0 && items >= PEOPLE;
    });
    await relay.whenIdle();

    // The echoes: stored, marked, from the source whose key the destination used.
    const stored = await relay.store.readEventsAfter(0, 100_000);
    const echoes = stored.filter((event) => sentByRelay(event.body));
    expect(stored).toHaveLength(3 * PEOPLE);
    expect(echoes).toHaveLength(2 * PEOPLE);
    expect(echoes.filter((event) => event.type === 'identify')).toHaveLength(PEOPLE);
    expect(echoes.filter((event) => event.type === 'track')).toHaveLength(PEOPLE);
    for (const echo of echoes) {
      expect(echo.source).toBe('web');
      // Sent through @segment/analytics-node (the destination's transport), not plain HTTP.
      expect(echo.body.context).toMatchObject({ library: { name: '@segment/analytics-node' } });
      expect(echo.messageId).toMatch(/^relay-p_[0-9a-f]+-\d+-(identify|cart_abandoners-entered)$/);
    }
    const lookedUp = await fetchStoredEvent(relay.url, ADMIN_TOKEN, echoes[0]?.messageId ?? '');
    expect(lookedUp.status).toBe(200);

    // Processing applied them to nobody: no outbox row since, so nothing more to deliver.
    expect(await counter(relay.metrics.relayEchoEventsTotal)).toBe(2 * PEOPLE);
    expect(await relay.store.readOutbox(0, 100_000)).toEqual(outboxBefore);
    expect(await relay.store.pendingCount(DESTINATION)).toBe(0);

    // Bounded: at most one request per change, every change exactly once, all accepted.
    const logged = await deliveries();
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged.length).toBeLessThanOrEqual(PEOPLE);
    expect(logged.reduce((sum, entry) => sum + entry.items, 0)).toBe(PEOPLE);
    expect(logged.every((entry) => entry.status === '200')).toBe(true);

    // Steady: time passing and another round of processing change nothing.
    clock.advance(60_000);
    await relay.whenIdle();
    expect(await relay.store.countEvents()).toBe(3 * PEOPLE);
    expect(await relay.store.readOutbox(0, 100_000)).toEqual(outboxBefore);
    expect((await deliveries()).length).toBe(logged.length);
  });
});
