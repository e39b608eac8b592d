import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../../src/relay.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';

/** Preview, backfill and explain of a new audience over a few thousand existing profiles. */
const PROFILES = 3000;
const ADMIN_TOKEN = 'audience-backfill-admin-token-01';
const root = mkdtempSync(join(tmpdir(), 'relay-audience-backfill-'));
let relay: RunningRelay;

/** User i orders (i % 4) times: users with 2 or more orders are the audience. */
const ordersOf = (i: number) => i % 4;
const expectedMembers = Array.from({ length: PROFILES }, (_, i) => i).filter((i) => ordersOf(i) >= 2).length;

beforeAll(async () => {
  relay = await startTestRelay({ root, adminToken: ADMIN_TOKEN });
  const events = [];
  for (let i = 0; i < PROFILES; i++) {
    events.push({ type: 'identify', userId: `bf-${i}`, messageId: `bf-id-${i}`, traits: { plan: 'pro' } });
    for (let n = 0; n < ordersOf(i); n++) {
      events.push({
        type: 'track',
        event: 'Order Completed',
        userId: `bf-${i}`,
        messageId: `bf-o-${i}-${n}`,
      });
    }
  }
  for (let start = 0; start < events.length; start += 400) {
    const res = await fetch(`${relay.url}/v1/batch`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Basic ${Buffer.from('dev-web-write-key:').toString('base64')}`,
      },
      body: JSON.stringify({ batch: events.slice(start, start + 400) }),
    });
    expect(res.status).toBe(200);
  }
  await relay.whenIdle();
}, 120_000);

afterAll(async () => {
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

async function admin<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': 'application/json', ...init.headers },
  });
  return { status: res.status, body: (await res.json()) as T };
}

const repeatBuyers = { performed: { event: 'Order Completed' }, at_least: 2, within: '30d' };

describe('a new audience over existing profiles', () => {
  it('previews its size and a sample without enabling it', async () => {
    const { status, body } = await admin<{
      size: number;
      evaluated: number;
      sample: { profileId: string }[];
    }>('/audiences/preview', { method: 'POST', body: JSON.stringify({ rule: repeatBuyers, sample: 5 }) });
    expect(status).toBe(200);
    expect(body.size).toBe(expectedMembers);
    expect(body.evaluated).toBe(PROFILES);
    expect(body.sample).toHaveLength(5);
    const list = await admin<{ audiences: { name: string }[] }>('/audiences');
    expect(list.body.audiences.map((a) => a.name)).not.toContain('repeat_buyers');
  });

  it('refuses an invalid preview rule, naming the field', async () => {
    const { status, body } = await admin<{ error: string }>('/audiences/preview', {
      method: 'POST',
      body: JSON.stringify({ rule: { performed: { event: 'X' }, at_least: 2 } }),
    });
    expect(status).toBe(400);
    expect(body.error).toContain('rule');
  });

  it('backfills it for every profile once enabled, each entry in the outbox exactly once', async () => {
    writeFileSync(
      join(root, 'mappings', 'repeat.yaml'),
      `audiences:\n  repeat_buyers:\n    rule: ${JSON.stringify(repeatBuyers)}\n`,
    );
    expect((await admin('/config/reload', { method: 'POST' })).status).toBe(200);
    await relay.whenIdle();
    const list = await admin<{ audiences: { name: string; size: number; backfill?: { status: string } }[] }>(
      '/audiences',
    );
    const repeat = list.body.audiences.find((a) => a.name === 'repeat_buyers');
    expect(repeat).toMatchObject({ size: expectedMembers, backfill: { status: 'ready' } });
    const rows = (await relay.store.readOutbox(0, 1_000_000)).filter((row) => row.name === 'repeat_buyers');
    expect(rows).toHaveLength(expectedMembers);
    expect(new Set(rows.map((row) => row.profileId)).size).toBe(expectedMembers);
    expect(rows.every((row) => row.value === 'true')).toBe(true);
  });

  it('explains why a profile is or is not a member, with the actual values', async () => {
    const member = await admin<{
      audiences: { member: boolean; explain: { holds: boolean; children: unknown[] } }[];
    }>('/profiles/explain?userId=bf-3&audience=repeat_buyers');
    expect(member.body).toMatchObject({ audiences: [{ member: true }] });
    expect(member.status).toBe(200);
    expect(member.body.audiences[0]?.member).toBe(true);
    // at_least 2 keeps the newest 2 times: enough to decide, so the count is a capped minimum.
    expect(JSON.stringify(member.body)).toContain('"count":2,"capped":true');
    const outsider = await admin<{ audiences: { member: boolean }[] }>(
      '/profiles/explain?userId=bf-1&audience=repeat_buyers',
    );
    expect(outsider.body.audiences[0]?.member).toBe(false);
  });
});
