import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProfileView } from '../../../src/admin/profile-view.js';
import { ManualClock } from '../../../src/lib/clock.js';
import type { RunningRelay } from '../../../src/relay.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';

/** Memberships in the profile view: which audiences, since when, and every entry and exit with its cause. */
const HOUR = 3_600_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const ADMIN_TOKEN = 'membership-history-admin-token-1';
const root = mkdtempSync(join(tmpdir(), 'relay-membership-history-'));
const clock = new ManualClock(T0);
let relay: RunningRelay;

beforeAll(async () => {
  relay = await startTestRelay({ root, clock, adminToken: ADMIN_TOKEN });
});

afterAll(async () => {
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

async function send(event: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from('dev-web-write-key:').toString('base64')}`,
    },
    body: JSON.stringify({ batch: [{ timestamp: new Date(clock.now()).toISOString(), ...event }] }),
  });
  expect(res.status).toBe(200);
  await relay.whenIdle();
}

async function profile(query: string): Promise<ProfileView> {
  const res = await fetch(`${relay.url}/admin/api/profiles?${query}`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as ProfileView;
}

/** Moves the clock and lets the scheduler run whatever became due. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  await relay.whenIdle();
}

const iso = (ms: number) => new Date(ms).toISOString();
const cartAbandoners = (view: ProfileView) =>
  view.membershipHistory.filter((change) => change.audience === 'cart_abandoners');

describe('memberships in the profile view', () => {
  it('shows an audience entered by an event while in it, and the exit by time alone afterwards', async () => {
    clock.set(T0);
    await send({ type: 'track', event: 'Product Added', userId: 'mh-1', messageId: 'mh-add-1' });
    const entered = { audience: 'cart_abandoners', member: true, at: iso(T0), cause: 'event' };

    const inside = await profile('userId=mh-1');
    expect(inside.memberships).toEqual([{ audience: 'cart_abandoners', enteredAt: iso(T0) }]);
    expect(inside.lastExits).toEqual([]);
    expect(cartAbandoners(inside)).toEqual([{ ...entered, messageId: 'mh-add-1' }]);

    await advance(4 * HOUR + MINUTE); // the Product Added leaves the 4-hour window
    const outside = await profile('userId=mh-1');
    const exitedAt = iso(T0 + 4 * HOUR + MINUTE);
    expect(outside.memberships).toEqual([]);
    expect(outside.lastExits).toEqual([
      { audience: 'cart_abandoners', at: exitedAt, cause: 'time', messageId: null },
    ]);
    expect(cartAbandoners(outside)).toEqual([
      { audience: 'cart_abandoners', member: false, at: exitedAt, cause: 'time', messageId: null },
      { ...entered, messageId: 'mh-add-1' },
    ]);
  });

  it("keeps a merged-away profile's entries, and records its exits as caused by the merge", async () => {
    const start = T0 + 10 * 24 * HOUR;
    clock.set(start);
    await send({ type: 'identify', userId: 'mh-2', messageId: 'mh-identify-1', traits: { plan: 'pro' } });
    await send({ type: 'track', event: 'Product Added', anonymousId: 'mh-anon-2', messageId: 'mh-add-2' });
    await advance(MINUTE);
    await send({ type: 'identify', userId: 'mh-2', anonymousId: 'mh-anon-2', messageId: 'mh-identify-2' });

    const view = await profile('userId=mh-2');
    expect(view.merges).toHaveLength(1);
    expect(view.memberships).toContainEqual({ audience: 'cart_abandoners', enteredAt: iso(start + MINUTE) });
    expect(cartAbandoners(view).map(({ member, cause, messageId }) => [member, cause, messageId])).toEqual([
      [true, 'merge', 'mh-identify-2'], // the survivor, with the merged-away profile's Product Added
      [false, 'merge', 'mh-identify-2'], // the anonymous profile disappears into it
      [true, 'event', 'mh-add-2'], // the anonymous profile's own entry
    ]);
    expect(await profile('anonymousId=mh-anon-2')).toEqual(view);
  });
});
