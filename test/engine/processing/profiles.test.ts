import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRelay } from '../../../src/relay.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';

const ADMIN_TOKEN = 'admin-token-for-profile-tests-01';
const WRITE_KEY = 'dev-web-write-key';
const root = mkdtempSync(join(tmpdir(), 'relay-profiles-'));
const mappingsDir = join(root, 'mappings');
let relay: RunningRelay;

beforeAll(async () => {
  relay = await startTestRelay({ root, adminToken: ADMIN_TOKEN });
});

afterAll(async () => {
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

let sequence = 0;
async function send(...events: Record<string, unknown>[]): Promise<void> {
  const batch = events.map((event) => ({ messageId: `p-${++sequence}`, ...event }));
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
    },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
}

interface Profile {
  profileId: string;
  identifiers: { kind: string; value: string }[];
  traits: Record<string, unknown>;
  timeline: { messageId: string }[];
  merges: { reason: string; mergedProfileId: string }[];
}

async function profile(query: string): Promise<Profile | undefined> {
  await relay.whenIdle();
  const res = await fetch(`${relay.url}/admin/api/profiles?${query}`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  return (await res.json()) as Profile;
}

const pricingView = (who: Record<string, string>) => ({
  type: 'page',
  ...who,
  context: { page: { path: '/pricing' } },
});
const order = (who: Record<string, string>, revenue: number) => ({
  type: 'track',
  event: 'Order Completed',
  ...who,
  properties: { revenue },
});

describe('identity resolution', () => {
  it('merges anonymous browsing into the known profile when identify links them', async () => {
    await send(pricingView({ anonymousId: 'anon-1' }), pricingView({ anonymousId: 'anon-1' }));
    await send(order({ userId: 'user-1' }, 120));
    const before = await profile('anonymousId=anon-1');
    expect(before?.traits.pricing_views_48h).toBe(2);
    expect(before?.traits.orders_365d).toBe(0);

    await send({
      type: 'identify',
      userId: 'user-1',
      anonymousId: 'anon-1',
      traits: { email: 'Ada@Example.com' },
    });
    const merged = await profile('email=ada@example.com');
    expect(merged?.traits).toMatchObject({ pricing_views_48h: 2, orders_365d: 1, revenue_365d: 120 });
    expect(merged?.identifiers.map((ref) => ref.kind).sort()).toEqual(['anonymousId', 'email', 'userId']);
    expect(merged?.merges).toHaveLength(1);
    expect(merged?.merges[0]?.reason).toBe('identifiers met in one event');
    expect(merged?.timeline).toHaveLength(4);
    expect((await profile('anonymousId=anon-1'))?.profileId).toBe(merged?.profileId);
  });

  it('never merges two customers who share a device (different userIds)', async () => {
    await send(order({ userId: 'user-2', anonymousId: 'shared-device' }, 10));
    await send(order({ userId: 'user-3', anonymousId: 'shared-device' }, 20));
    const two = await profile('userId=user-2');
    const three = await profile('userId=user-3');
    expect(two?.profileId).not.toBe(three?.profileId);
    expect(two?.traits.revenue_365d).toBe(10);
    expect(three?.traits.revenue_365d).toBe(20);
  });

  it('merges on alias, which says explicitly that two identities are one person', async () => {
    await send(order({ userId: 'old-id' }, 5), order({ userId: 'new-id' }, 7));
    await send({ type: 'alias', previousId: 'old-id', userId: 'new-id' });
    const merged = await profile('userId=new-id');
    expect(merged?.traits.revenue_365d).toBe(12);
    expect(merged?.merges.map((merge) => merge.reason)).toEqual(['alias']);
    expect((await profile('userId=old-id'))?.profileId).toBe(merged?.profileId);
  });
});

describe('configuration changes on a running relay', () => {
  it('computes a newly added trait from history for existing profiles', async () => {
    await send(order({ userId: 'history-1' }, 30), order({ userId: 'history-1' }, 70));
    expect((await profile('userId=history-1'))?.traits.big_orders_365d).toBeUndefined();
    writeFileSync(
      join(mappingsDir, 'more-traits.yaml'),
      'traits:\n  big_orders_365d:\n    count: { event: Order Completed, where: { properties.revenue: { gte: 50 } }, window: 365d }\n',
    );
    const res = await fetch(`${relay.url}/admin/api/config/reload`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect((await profile('userId=history-1'))?.traits.big_orders_365d).toBe(1);
    expect((await profile('userId=user-1'))?.traits.big_orders_365d).toBe(1);
    await send(order({ userId: 'history-1' }, 90));
    expect((await profile('userId=history-1'))?.traits.big_orders_365d).toBe(2);
    const status = await fetch(`${relay.url}/admin/api/config`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const backfills = (
      (await status.json()) as { backfills: { name: string; status: string; done: number }[] }
    ).backfills;
    expect(backfills.find((row) => row.name === 'trait:big_orders_365d')).toMatchObject({ status: 'ready' });
  });

  it('reloads by itself when a mapping file changes', async () => {
    writeFileSync(
      join(mappingsDir, 'watched.yaml'),
      'traits:\n  demo_requests_30d:\n    count: { event: Demo Requested, window: 30d }\n',
    );
    let traits: string[] = [];
    for (let attempt = 0; attempt < 100 && !traits.includes('demo_requests_30d'); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const status = await fetch(`${relay.url}/admin/api/config`, {
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const body = (await status.json()) as { traits: string[]; lastReload: { trigger: string } };
      traits = body.traits;
    }
    expect(traits).toContain('demo_requests_30d');
  });

  it('refuses an invalid mapping file, reports every error and keeps serving the last good configuration', async () => {
    const file = join(mappingsDir, 'traits.yaml');
    const good = readFileSync(file, 'utf8');
    writeFileSync(
      file,
      `${good}\n  broken_trait:\n    count: { window: soon }\n  other_broken:\n    sum: {}\n`,
    );
    try {
      const res = await fetch(`${relay.url}/admin/api/config/reload`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(422);
      const result = (await res.json()) as { errors: { file: string; line: number; path: string }[] };
      expect(result.errors.length).toBeGreaterThanOrEqual(2);
      expect(result.errors.every((error) => error.file.endsWith('traits.yaml') && error.line > 1)).toBe(true);
      expect(result.errors.map((error) => error.path)).toContain('traits.broken_trait.count.window');
      await send(order({ userId: 'after-refusal' }, 40));
      expect((await profile('userId=after-refusal'))?.traits.orders_365d).toBe(1);
    } finally {
      writeFileSync(file, good);
    }
  });
});
