import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { basicAuth, startRelayProcess, WRITE_KEYS, type RelayProcess } from '../../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';

/**
 * Killing the relay with SIGKILL while it works through a backlog, again and again, and restarting it
 * on the same database leaves every count and sum exact: state and cursor commit together.
 */
const ADMIN_TOKEN = 'crash-processing-admin-token-0001';
const USERS = 40;
const BATCHES_PER_CYCLE = 30;
const EVENTS_PER_BATCH = 200;
const CYCLES = 3;

const dir = makeTempDir('relay-crash-processing-');
const storeUrl = `sqlite:${join(dir, 'relay.db')}`;
let relay: RelayProcess | undefined;

afterAll(async () => {
  await relay?.kill();
  removeTempDir(dir);
});

interface Expected {
  orders: number;
  revenue: number;
}

async function admin<T>(path: string): Promise<T> {
  const res = await fetch(`${relay?.url}/admin/api${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function sendBatch(cycle: number, batch: number, expected: Map<string, Expected>): Promise<void> {
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, index) => {
    const userId = `crash-user-${(batch * EVENTS_PER_BATCH + index) % USERS}`;
    const revenue = (index % 7) + 1;
    const totals = expected.get(userId) ?? { orders: 0, revenue: 0 };
    expected.set(userId, { orders: totals.orders + 1, revenue: totals.revenue + revenue });
    return {
      type: 'track',
      event: 'Order Completed',
      userId,
      messageId: `c${cycle}-b${batch}-e${index}`,
      properties: { revenue },
    };
  });
  const res = await fetch(`${relay?.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch: events }),
  });
  expect(res.status).toBe(200);
}

async function waitUntilProcessed(): Promise<void> {
  for (;;) {
    const status = await admin<{ pending: number }>('/processing');
    if (status.pending === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('processing survives SIGKILL', () => {
  it('keeps every count exact across kills in the middle of processing', async () => {
    const expected = new Map<string, Expected>();
    let killedWhilePending = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Small processing batches: many commits, so the backlog takes a while and the kill lands inside it.
      relay = await startRelayProcess({
        storeUrl,
        adminToken: ADMIN_TOKEN,
        env: { PROCESSING_BATCH_SIZE: '25' },
      });
      await Promise.all(
        Array.from({ length: BATCHES_PER_CYCLE }, (_, batch) => sendBatch(cycle, batch, expected)),
      );
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 100)));
      const before = await admin<{ pending: number }>('/processing');
      await relay.kill();
      if (before.pending > 0) killedWhilePending++;
    }
    relay = await startRelayProcess({ storeUrl, adminToken: ADMIN_TOKEN });
    await waitUntilProcessed();
    expect(killedWhilePending).toBeGreaterThan(0);
    for (const [userId, totals] of expected) {
      const profile = await admin<{ traits: Record<string, unknown> }>(`/profiles?userId=${userId}`);
      expect({ userId, orders: profile.traits.orders_365d, revenue: profile.traits.revenue_365d }).toEqual({
        userId,
        orders: totals.orders,
        revenue: totals.revenue,
      });
    }
    expectOutboxConsistent(expected.size);
  }, 120_000);
});

/**
 * No outbox row lost or doubled: per profile and audience the rows alternate entered/exited starting
 * with entered, and the last one agrees with the membership index. Every buyer became a champion once.
 */
function expectOutboxConsistent(buyers: number): void {
  const db = new BetterSqlite3(join(dir, 'relay.db'), { readonly: true });
  try {
    const rows = db
      .prepare(`SELECT profile_id, name, value FROM outbox WHERE kind = 'audience' ORDER BY id`)
      .all() as { profile_id: string; name: string; value: string }[];
    const sequences = new Map<string, string[]>();
    for (const row of rows) {
      const key = `${row.profile_id} ${row.name}`;
      sequences.set(key, [...(sequences.get(key) ?? []), row.value]);
    }
    const members = new Set(
      (
        db.prepare(`SELECT profile_id, audience FROM audience_members`).all() as {
          profile_id: string;
          audience: string;
        }[]
      ).map((row) => `${row.profile_id} ${row.audience}`),
    );
    for (const [key, values] of sequences) {
      values.forEach((value, index) =>
        expect({ key, index, value }).toEqual({ key, index, value: String(index % 2 === 0) }),
      );
      expect({ key, member: members.has(key) }).toEqual({ key, member: values.at(-1) === 'true' });
    }
    const champions = rows.filter((row) => row.name === 'champions');
    expect(champions).toHaveLength(buyers);
  } finally {
    db.close();
  }
}
