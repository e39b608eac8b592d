import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { basicAuth, startRelayProcess, WRITE_KEYS, type RelayProcess } from '../../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';

/**
 * A rebuild survives SIGKILL: the relay is killed in the middle of the replay (events arriving
 * meanwhile), restarted on the same database, and the rebuild resumes and ends with every profile
 * and count as if nothing had happened, and none of the replay's own outbox rows fanned out.
 */
const ADMIN_TOKEN = 'rebuild-crash-admin-token-0001';
const USERS = 100;
const BATCHES = 15;
const EVENTS_PER_BATCH = 200;

const dir = makeTempDir('relay-rebuild-crash-');
const path = join(dir, 'relay.db');
let relay: RelayProcess | undefined;
const orders = new Map<string, number>();

afterAll(async () => {
  await relay?.kill();
  removeTempDir(dir);
});

async function admin<T>(method: 'GET' | 'POST', route: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${relay?.url}/admin/api${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function sendBatch(label: string, batch: number): Promise<void> {
  const events = Array.from({ length: EVENTS_PER_BATCH }, (_, index) => {
    const userId = `rc-user-${(batch * EVENTS_PER_BATCH + index) % USERS}`;
    orders.set(userId, (orders.get(userId) ?? 0) + 1);
    return {
      type: 'track',
      event: 'Order Completed',
      userId,
      ...(index % 10 === 0 ? { anonymousId: `rc-anon-${userId}` } : {}),
      messageId: `${label}-b${batch}-e${index}`,
      properties: { revenue: 10 },
    };
  });
  const res = await fetch(`${relay?.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch: events }),
  });
  expect(res.status).toBe(200);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

interface Progress {
  status: string;
  events: { done: number; total: number };
}

/** Who owns what, and who is in which audience: what a rebuild with nothing to repair must keep. */
function snapshot(): { owners: string; members: string } {
  const db = new BetterSqlite3(path, { readonly: true });
  const owners = db.prepare(`SELECT kind, value, profile_id FROM identifiers ORDER BY kind, value`).all();
  const members = db.prepare(`SELECT audience, profile_id FROM audience_members ORDER BY 1, 2`).all();
  db.close();
  return { owners: JSON.stringify(owners), members: JSON.stringify(members) };
}

describe('rebuild survives SIGKILL', () => {
  it('resumes after a kill in the middle of the replay and ends where an uninterrupted one would', async () => {
    relay = await startRelayProcess({
      storeUrl: `sqlite:${path}`,
      adminToken: ADMIN_TOKEN,
      env: { PROCESSING_BATCH_SIZE: '25' },
    });
    for (let batch = 0; batch < BATCHES; batch++) await sendBatch('before', batch);
    await until('the backlog to be processed', async () => {
      const { body } = await admin<{ pending: number }>('GET', '/processing');
      return body.pending === 0 ? true : undefined;
    });
    await relay.stop();
    const before = snapshot();
    relay = await startRelayProcess({
      storeUrl: `sqlite:${path}`,
      adminToken: ADMIN_TOKEN,
      env: { PROCESSING_BATCH_SIZE: '25' },
    });

    expect((await admin('POST', '/rebuild')).status).toBe(202);
    await sendBatch('during', 0); // intake goes on: stored and acknowledged
    const atKill = await until('the replay to be under way', async () => {
      const { body } = await admin<Progress>('GET', '/rebuild');
      return body.status === 'replaying' && body.events.done > 200 ? body : undefined;
    });
    await relay.kill();
    expect(atKill.events.done).toBeLessThan(atKill.events.total);

    relay = await startRelayProcess({
      storeUrl: `sqlite:${path}`,
      adminToken: ADMIN_TOKEN,
      env: { PROCESSING_BATCH_SIZE: '25' },
    });
    await sendBatch('after-restart', 1);
    const done = await until('the rebuild to finish', async () => {
      const { body } = await admin<Progress & { profiles: { total: number } }>('GET', '/rebuild');
      return body.status === 'done' ? body : undefined;
    });
    expect(done.events.done).toBe(done.events.total);
    expect(done.profiles.total).toBe(USERS);
    await until('every event to be processed', async () => {
      const { body } = await admin<{ pending: number }>('GET', '/processing');
      return body.pending === 0 ? true : undefined;
    });
    await relay.stop();
    relay = undefined;

    const after = snapshot();
    expect(after.owners).toBe(before.owners);
    expect(after.members).toBe(before.members);
    const db = new BetterSqlite3(path, { readonly: true });
    const counts = db
      .prepare(
        `SELECT i.value AS userId, count(*) AS n FROM identifiers i JOIN profile_events e USING (profile_id)
         WHERE i.kind = 'userId' GROUP BY i.value`,
      )
      .all() as { userId: string; n: number }[];
    expect(new Map(counts.map((row) => [row.userId, row.n]))).toEqual(orders);
    // Nothing the replay wrote reached fan-out: from the hold on, the outbox has the rebuild's rows
    // (no event behind them), then rows of events processed after it.
    const { hold_from: holdFrom } = db.prepare(`SELECT hold_from FROM rebuilds`).get() as {
      hold_from: number;
    };
    const replayed = db
      .prepare(`SELECT count(*) AS n FROM outbox WHERE id >= ? AND message_id LIKE 'before-%'`)
      .get(holdFrom) as { n: number };
    expect(replayed.n).toBe(0);
    db.close();
  });
});
