import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeBraze, type FakeBraze } from '../../../src/destinations/braze/fake-server.js';
import { startFakeHubspot, type FakeHubspot } from '../../../src/destinations/hubspot/fake-server.js';
import type { RecordedRequest } from '../../../src/destinations/fake-kit.js';
import { ManualClock } from '../../../src/lib/clock.js';
import type { RunningRelay } from '../../../src/relay.js';
import type { RelayStore } from '../../../src/store/port.js';
import type { IdentifierRef } from '../../../src/store/profile-port.js';
import { CLICKS_MAPPING, STREAM_END, timedStream } from '../../fixtures/old-identity-stream.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';
import { basicAuth, REPO_ROOT, WRITE_KEYS } from '../../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { loadOracleConfig, oraclePersons, personState, toOracleEvents } from '../../model/oracle.js';

/**
 * `POST /admin/api/rebuild` end to end: a store built by the identity code before the rewrite
 * (test/fixtures/old-identity.db, see make-old-identity-db.ts) is rebuilt into one profile per person,
 * and destinations hear only what the rebuild changed; a store with nothing to repair sends nothing.
 */

const ADMIN_TOKEN = 'rebuild-test-admin-token-0001';
const FIXTURE = join(REPO_ROOT, 'test/fixtures/old-identity.db');

interface Harness {
  root: string;
  relay: RunningRelay & { mappingsDir: string };
  braze: FakeBraze;
  hubspot: FakeHubspot;
}

const open: Harness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.relay.close();
    await h.braze.close();
    await h.hubspot.close();
    removeTempDir(h.root);
  }
});

/** A relay on a copy of `database` (or a fresh one), its clock at `now`, delivering to fresh fakes. */
async function start(now: number, database?: string): Promise<Harness> {
  const root = makeTempDir('relay-rebuild-');
  if (database) copyFileSync(database, join(root, 'relay.db'));
  const braze = await startFakeBraze();
  const hubspot = await startFakeHubspot();
  const relay = await startTestRelay({
    root,
    adminToken: ADMIN_TOKEN,
    clock: new ManualClock(now),
    mappingFiles: { 'clicks.yaml': CLICKS_MAPPING },
    destinations: ['braze', 'hubspot'],
    processEnv: {
      DESTINATIONS_ENABLED: 'true',
      BRAZE_REST_ENDPOINT: braze.url,
      HUBSPOT_ENDPOINT: hubspot.url,
    },
  });
  const harness = { root, relay, braze, hubspot };
  open.push(harness);
  return harness;
}

async function admin(relay: RunningRelay, method: 'GET' | 'POST', path: string) {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Every outbox row fanned out, nothing pending: whatever was to be sent has been answered. */
async function drained(store: RelayStore): Promise<void> {
  for (let tries = 0; ; tries++) {
    const cursor = await store.readCursor('delivery');
    const rest = (await store.readOutbox(cursor, 1)).length;
    const pending = (await store.pendingCount('braze')) + (await store.pendingCount('hubspot'));
    if (rest === 0 && pending === 0) return;
    if (tries > 300) throw new Error('delivery did not drain');
    await delay(50);
  }
}

async function rebuild(relay: RunningRelay): Promise<Record<string, unknown>> {
  const requested = await admin(relay, 'POST', '/rebuild');
  expect(requested.status, JSON.stringify(requested.body)).toBe(202);
  await relay.whenIdle(); // the loop is idle only once the rebuild is done
  const progress = await admin(relay, 'GET', '/rebuild');
  expect(progress.body).toMatchObject({ status: 'done', done: true });
  await drained(relay.store);
  return progress.body;
}

async function sendBatch(relay: RunningRelay, batch: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  await relay.whenIdle();
}

/** The live profile each identifier belongs to (as itself, or a userId / anonymousId held as an alias). */
async function ownerOf(store: RelayStore, kindAndValue: string): Promise<string | undefined> {
  const [kind, value] = kindAndValue.split(/:(.*)/s) as [IdentifierRef['kind'], string];
  const refs: IdentifierRef[] = [
    { kind, value },
    { kind: 'alias', value },
  ];
  const owners = await store.findProfileIds(refs);
  return owners.get(`${kind}:${value}`) ?? owners.get(`alias:${value}`);
}

async function timeline(store: RelayStore, profileId: string): Promise<string[]> {
  const events = await store.readEventsBySeq(await store.profileEventSeqs(profileId));
  return events.map((event) => event.messageId).sort();
}

function brazeAttributes(requests: RecordedRequest[]): Record<string, unknown>[] {
  return requests.flatMap(
    (request) => (request.body as { attributes?: Record<string, unknown>[] }).attributes ?? [],
  );
}

describe('rebuild from the event log', () => {
  it('repairs a store built by the old identity code: one profile per person, every event attributed', async () => {
    const { relay, braze, hubspot } = await start(STREAM_END, FIXTURE);
    const { store } = relay;
    // What the old code left: 7 profiles, two of them with no identifier at all (orphans).
    expect(await store.countProfiles()).toBe(7);
    expect(await ownerOf(store, 'anonymousId:a2')).not.toBe(await ownerOf(store, 'userId:u2'));

    const done = await rebuild(relay);
    expect(done).toMatchObject({ events: { done: 19, total: 19 }, profiles: { total: 4 } });

    // Against the reference model (docs/processing.md "Identity and merges", test/model/).
    const config = loadOracleConfig(relay.mappingsDir);
    const persons = oraclePersons(toOracleEvents(timedStream()), config);
    expect(persons).toHaveLength(4);
    expect(await store.countProfiles()).toBe(persons.length);
    const seen = new Set<string>();
    for (const person of persons) {
      const owners = new Set(await Promise.all(person.identifiers.map((id) => ownerOf(store, id))));
      expect(owners.size, `one profile for ${person.identifiers.join(', ')}`).toBe(1);
      const profileId = [...owners][0] as string;
      seen.add(profileId);
      expect(await timeline(store, profileId)).toEqual(person.events.map((e) => e.messageId).sort());
      const expected = personState(person, config, STREAM_END, STREAM_END);
      const lookup = person.identifiers.find((id) => !id.startsWith('alias:'));
      const view = await admin(relay, 'GET', `/profiles?${lookup?.replace(':', '=')}`);
      const traits = view.body.traits as Record<string, unknown>;
      expect(traits.clicks ?? 0).toBe(expected.values.clicks ?? 0);
    }
    expect(seen.size).toBe(4);

    // Hand-checked: u1's four events (the anonymous one after login included), 3 clicks.
    const u1 = (await ownerOf(store, 'userId:u1')) as string;
    expect(await ownerOf(store, 'anonymousId:a1')).toBe(u1);
    expect(await ownerOf(store, 'email:u1@example.com')).toBe(u1);
    expect(await timeline(store, u1)).toHaveLength(4);
    // u3 and u4 are one person (the alias), and u3's later click is theirs.
    expect(await ownerOf(store, 'userId:u3')).toBe(await ownerOf(store, 'userId:u4'));

    // Destinations: only the net change. u2's anonymous views now count for u2 (the alias came
    // first), so u2 enters high_intent; every other person's values are what they were told.
    const attributes = brazeAttributes(braze.accepted());
    expect(attributes.map((a) => a.external_id)).toEqual(['u2']);
    expect(attributes[0]).toMatchObject({ segment_high_intent: true });
    expect(Object.keys(attributes[0] ?? {}).sort()).toEqual([
      'external_id',
      'lead_score',
      'segment_high_intent',
    ]);
    expect(hubspot.requests).toEqual([]); // u2 has no e-mail; nobody else changed

    // The replay's own outbox rows never reached fan-out: the outbox holds the old code's rows, then
    // the rebuild's (no event caused them).
    const rows = await store.readOutbox(0, 10_000);
    const rebuildRows = rows.filter((row) => row.id > 32);
    expect(rebuildRows.length).toBeGreaterThan(0);
    expect(rebuildRows.every((row) => row.messageId === null)).toBe(true);
  });

  it('sends nothing when the rebuild finds what was already delivered, and keeps intake going', async () => {
    const now = Date.parse('2025-03-01T10:00:00.000Z');
    const { relay, braze, hubspot } = await start(now);
    const at = (minutes: number) => new Date(now - 60 * 60_000 + minutes * 60_000).toISOString();
    const pricing = (id: Record<string, string>, n: number) => ({
      type: 'page',
      ...id,
      name: 'Pricing',
      context: { page: { path: '/pricing' } },
      messageId: `nc-pricing-${Object.values(id).join('-')}-${n}`,
      timestamp: at(n),
    });
    await sendBatch(relay, [
      {
        type: 'identify',
        userId: 'v1',
        traits: { email: 'v1@example.com' },
        messageId: 'nc-id-v1',
        timestamp: at(0),
      },
      ...[1, 2, 3, 4].map((n) => pricing({ userId: 'v1' }, n)),
      // An anonymous lead with an e-mail who then logs in: a merge.
      {
        type: 'identify',
        anonymousId: 'b2',
        traits: { email: 'v2@example.com' },
        messageId: 'nc-id-b2',
        timestamp: at(5),
      },
      ...[6, 7, 8, 9].map((n) => pricing({ anonymousId: 'b2' }, n)),
      {
        type: 'track',
        userId: 'v2',
        anonymousId: 'b2',
        event: 'Logged In',
        messageId: 'nc-login',
        timestamp: at(10),
      },
      { type: 'track', userId: 'v3', event: 'Demo Requested', messageId: 'nc-demo-v3', timestamp: at(11) },
    ]);
    await drained(relay.store);
    const before = { braze: braze.requests.length, hubspot: hubspot.requests.length };
    expect(before.braze).toBeGreaterThan(0);
    expect(before.hubspot).toBeGreaterThan(0);
    const profilesBefore = await relay.store.countProfiles();

    // Events keep arriving (and are acknowledged) while the rebuild runs; they change nobody's state.
    const requested = await admin(relay, 'POST', '/rebuild');
    expect(requested.status).toBe(202);
    const again = await admin(relay, 'POST', '/rebuild');
    expect(again.status).toBe(409);
    await sendBatch(relay, [
      { type: 'track', userId: 'v3', event: 'Newsletter Opened', messageId: 'nc-late', timestamp: at(12) },
    ]);
    await relay.whenIdle();
    expect(await admin(relay, 'GET', '/rebuild')).toMatchObject({ body: { status: 'done' } });
    await drained(relay.store);
    expect({ braze: braze.requests.length, hubspot: hubspot.requests.length }).toEqual(before);
    expect(await relay.store.countProfiles()).toBe(profilesBefore);
    expect(await timeline(relay.store, (await ownerOf(relay.store, 'userId:v3')) as string)).toEqual([
      'nc-demo-v3',
      'nc-late',
    ]);

    // Metrics show the progress.
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    const total = Number(/^relay_rebuild_events\{state="total"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(total).toBeGreaterThanOrEqual(12); // the late event too if it was stored before the start
    expect(metrics).toContain(`relay_rebuild_events{state="done"} ${total}\n`);
  });
});
