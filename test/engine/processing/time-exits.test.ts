import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import type { RunningRelay } from '../../../src/relay.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';

/** Memberships that change with time alone, on an injected clock: each change reaches the outbox once. */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const root = mkdtempSync(join(tmpdir(), 'relay-time-'));
const clock = new ManualClock(T0);
let relay: RunningRelay;

beforeAll(async () => {
  relay = await startTestRelay({
    root,
    clock,
    mappingFiles: {
      'test-audiences.yaml': 'audiences:\n  warm_lead:\n    rule: { trait: lead_score, gt: 80 }\n',
    },
  });
});

afterAll(async () => {
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

let sequence = 0;
async function send(userId: string, ...events: Record<string, unknown>[]): Promise<void> {
  const batch = events.map((event) => ({
    userId,
    messageId: `t-${++sequence}`,
    timestamp: new Date(clock.now()).toISOString(),
    ...event,
  }));
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from('dev-web-write-key:').toString('base64')}`,
    },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  await relay.whenIdle();
}

/** Moves the clock and lets the scheduler run whatever became due. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  await relay.whenIdle();
}

/** Every outbox row of one user for one audience, as "true"/"false" in order. */
async function changes(userId: string, audience: string): Promise<string[]> {
  const owner = await relay.store.findProfileIds([{ kind: 'userId', value: userId }]);
  const profileId = owner.get(`userId:${userId}`);
  const rows = await relay.store.readOutbox(0, 100_000);
  return rows.filter((row) => row.profileId === profileId && row.name === audience).map((row) => row.value);
}

describe('exits and entries caused by time alone', () => {
  it('a cart abandoner leaves 4 hours after adding to cart, with no new event', async () => {
    clock.set(T0);
    await send('cart-1', { type: 'track', event: 'Product Added' });
    expect(await changes('cart-1', 'cart_abandoners')).toEqual(['true']);
    await advance(4 * HOUR - 60_000);
    expect(await changes('cart-1', 'cart_abandoners')).toEqual(['true']);
    await advance(2 * 60_000);
    expect(await changes('cart-1', 'cart_abandoners')).toEqual(['true', 'false']);
    await advance(DAY);
    expect(await changes('cart-1', 'cart_abandoners')).toEqual(['true', 'false']);
  });

  it('a customer with no purchase in 60 days moves to at_risk', async () => {
    clock.set(T0 + 10 * DAY);
    await send('rfm-1', { type: 'track', event: 'Order Completed', properties: { revenue: 80 } });
    await send('rfm-1', { type: 'track', event: 'Order Completed', properties: { revenue: 90 } });
    expect(await changes('rfm-1', 'at_risk')).toEqual([]);
    await advance(59 * DAY);
    expect(await changes('rfm-1', 'no_purchase_60d')).toEqual([]);
    await advance(2 * DAY);
    expect(await changes('rfm-1', 'no_purchase_60d')).toEqual(['true']);
    expect(await changes('rfm-1', 'at_risk')).toEqual(['true']);
  });

  it('a decaying lead score drops a member when it falls to the threshold', async () => {
    clock.set(T0 + 100 * DAY);
    const pricing = { type: 'page', context: { page: { path: '/pricing' } } };
    await send('lead-1', pricing, pricing, pricing, pricing);
    expect(await changes('lead-1', 'warm_lead')).toEqual(['true']);
    // 100 points, half-life 14 days: 80 is reached after 14 * log2(100 / 80) = 4.507 days.
    await advance(4.4 * DAY);
    expect(await changes('lead-1', 'warm_lead')).toEqual(['true']);
    await advance(0.2 * DAY);
    expect(await changes('lead-1', 'warm_lead')).toEqual(['true', 'false']);
  });

  it('a trial enters trial_ending three days before it ends', async () => {
    clock.set(T0 + 200 * DAY);
    const endsAt = new Date(clock.now() + 10 * DAY).toISOString();
    await send('trial-1', { type: 'identify', traits: { trial_ends_at: endsAt } });
    await advance(7 * DAY - 60_000);
    expect(await changes('trial-1', 'trial_ending')).toEqual([]);
    await advance(2 * 60_000);
    expect(await changes('trial-1', 'trial_ending')).toEqual(['true']);
    await advance(3 * DAY);
    expect(await changes('trial-1', 'trial_ending')).toEqual(['true', 'false']);
  });
});
