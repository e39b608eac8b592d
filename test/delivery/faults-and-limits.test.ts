import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { DeliveryRunner } from '../../src/delivery/runner.js';
import { startFakeBraze, type FakeBraze } from '../../src/destinations/braze/fake-server.js';
import type { RecordedRequest } from '../../src/destinations/fake-kit.js';
import { startFakeHubspot, type FakeHubspot } from '../../src/destinations/hubspot/fake-server.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { DestinationBlock } from '../../src/mappings/destinations-schema.js';
import type { DeadLetter } from '../../src/store/delivery-port.js';
import type { RelayStore } from '../../src/store/port.js';
import type { OutboxRow } from '../../src/store/profile-port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * Delivery under faults and at the rate limit, over real HTTP against the fake Braze and a real
 * SQLite store. Changes are written straight into the outbox (as processing would, one profile
 * version per commit) so their number and order are known exactly; a `DeliveryRunner` then fans
 * them out and delivers them. Every assertion is about what the fakes recorded and what the store
 * holds afterwards, never about how long anything took.
 */

const API_KEY = 'test-braze-key';
/** The rejection the storm fake answers (inside a 201) for every `bad-*` user: a permanent failure. */
const BLOCKED = "'external_id' is blocked in this workspace";

interface State {
  hot: boolean;
  vip: boolean;
  lead_score: number | null;
}
type Key = keyof State;
const BASELINE: State = { hot: false, vip: false, lead_score: null };
/** Braze attribute -> the state key it carries (`attribute_prefix` is the default `segment_`). */
const BRAZE_ATTRIBUTES: Record<string, Key> = {
  segment_hot: 'hot',
  segment_vip: 'vip',
  lead_score: 'lead_score',
};
/** The HubSpot mapping of the storm test: contact property -> state key. */
const HUBSPOT_PROPERTIES: Record<string, Key> = {
  relay_hot: 'hot',
  relay_vip: 'vip',
  relay_lead_score: 'lead_score',
};

/**
 * The profiles the test writes, with every version each one went through: `history(u)[v]` is the
 * state after version v (index 0 = before the first change, i.e. nothing to tell anyone).
 */
class Population {
  private readonly histories = new Map<string, State[]>();
  private messages = 0;

  constructor(private readonly store: RelayStore) {}

  /** One processing commit: each user gets one new profile version carrying `change`. */
  async write(updates: { userId: string; change: Partial<State> }[]): Promise<void> {
    const now = Date.now();
    const outbox: OutboxRow[] = [];
    const profiles = [];
    const identifiers = [];
    const memberships = [];
    for (const { userId, change } of updates) {
      const history = this.history(userId);
      const before = history[history.length - 1] ?? BASELINE;
      const after = { ...before, ...change };
      history.push(after);
      const version = history.length - 1;
      const profileId = profileIdOf(userId);
      const messageId = `m-${++this.messages}`;
      profiles.push({
        id: profileId,
        state: '{}',
        version,
        createdAt: now,
        updatedAt: now,
        nextWakeAt: null,
      });
      identifiers.push(
        { kind: 'userId' as const, value: userId, profileId },
        { kind: 'email' as const, value: `${userId}@example.com`, profileId },
      );
      for (const key of Object.keys(change) as Key[]) {
        if (after[key] === before[key]) continue;
        const audience = key !== 'lead_score';
        outbox.push({
          profileId,
          kind: audience ? 'audience' : 'trait',
          name: key,
          value: JSON.stringify(after[key]),
          profileVersion: version,
          at: now,
          eventReceivedAt: now,
          messageId,
        });
        if (audience) {
          const member = after[key] === true;
          memberships.push({ audience: key, profileId, member, at: now, cause: 'event' as const, messageId });
        }
      }
    }
    await this.store.commitProcessing({
      merges: [],
      profiles,
      identifiers,
      profileEvents: [],
      outbox,
      memberships,
    });
  }

  history(userId: string): State[] {
    let history = this.histories.get(userId);
    if (!history) {
      history = [BASELINE];
      this.histories.set(userId, history);
    }
    return history;
  }

  final(userId: string): State {
    const history = this.history(userId);
    return history[history.length - 1] ?? BASELINE;
  }

  users(): string[] {
    return [...this.histories.keys()];
  }
}

const profileIdOf = (userId: string) => `p-${userId}`;
const userIdOf = (profileId: string) => profileId.replace(/^p-/, '');

/** One object a fake applied: whose, and the state keys (and values) it set. */
interface Applied {
  userId: string;
  values: Partial<Record<Key, unknown>>;
}

/** Braze `/users/track` attribute objects (`external_id` = userId), as state values. */
function brazeObjects(request: RecordedRequest): Applied[] {
  const objects = (request.body as { attributes?: Record<string, unknown>[] }).attributes ?? [];
  return objects.flatMap((object) => {
    if (typeof object.external_id !== 'string') return [];
    const values: Partial<Record<Key, unknown>> = {};
    for (const [attribute, value] of Object.entries(object)) {
      const key = BRAZE_ATTRIBUTES[attribute];
      if (key) values[key] = value;
    }
    return [{ userId: object.external_id, values }];
  });
}

/** HubSpot upsert inputs (`id` = e-mail), their string properties read back as state values. */
function hubspotInputs(request: RecordedRequest): Applied[] {
  const inputs = (request.body as { inputs?: { id: string; properties: Record<string, string> }[] }).inputs;
  return (inputs ?? []).map((input) => ({
    userId: input.id.replace(/@example\.com$/, ''),
    values: fromHubspot(input.properties),
  }));
}

function fromHubspot(properties: Record<string, string>): Partial<Record<Key, unknown>> {
  const values: Partial<Record<Key, unknown>> = {};
  for (const [property, text] of Object.entries(properties)) {
    const key = HUBSPOT_PROPERTIES[property];
    if (key === 'lead_score') values[key] = text === '' ? null : Number(text);
    else if (key) values[key] = text === 'true';
  }
  return values;
}

/**
 * Checks that the applied objects never go back in time: walking the accepted requests in the order
 * the fake received them, each object of a user must equal (on every key it sets) the user's state
 * at some version >= the version matched by that user's previous object. Returns the violations.
 */
function outOfOrder(population: Population, applied: Applied[]): string[] {
  const matched = new Map<string, number>();
  const violations: string[] = [];
  for (const { userId, values } of applied) {
    const history = population.history(userId);
    const from = matched.get(userId) ?? 0;
    let version = from;
    while (
      version < history.length &&
      !Object.entries(values).every(([key, value]) => history[version]?.[key as Key] === value)
    )
      version += 1;
    if (version >= history.length) {
      violations.push(`${userId}: ${JSON.stringify(values)} matches no version >= ${from}`);
    } else matched.set(userId, version);
  }
  return violations;
}

/** What a fake Braze holds for a user, as state (an attribute never sent is the baseline). */
function brazeState(braze: FakeBraze, userId: string, keys: Key[]): Partial<State> {
  const attributes = braze.attributesFor(userId);
  const state: Record<string, unknown> = {};
  for (const [attribute, key] of Object.entries(BRAZE_ATTRIBUTES)) {
    if (keys.includes(key)) state[key] = attributes[attribute] ?? BASELINE[key];
  }
  return state as Partial<State>;
}

/** What the fake HubSpot holds for a user's contact, as state. */
function hubspotState(hubspot: FakeHubspot, userId: string): State {
  return { ...BASELINE, ...fromHubspot(hubspot.contact(`${userId}@example.com`) ?? {}) } as State;
}

function pick(state: State, keys: Key[]): Partial<State> {
  return Object.fromEntries(keys.map((key) => [key, state[key]])) as Partial<State>;
}

function statusCounts(requests: RecordedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) {
    const status = request.status === 0 ? 'unanswered' : String(request.status);
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

/** Every outbox row fanned out and nothing pending for these destinations. */
async function drained(store: RelayStore, destinations: string[]): Promise<boolean> {
  const cursor = await store.readCursor('delivery');
  if ((await store.readOutbox(cursor, 1)).length > 0) return false;
  for (const destination of destinations) if ((await store.pendingCount(destination)) > 0) return false;
  return true;
}

function brazeBlock(
  url: string,
  mapping: { audiences: string[]; traits?: string[] },
  limits: DestinationBlock['limits'],
): DestinationBlock {
  return DestinationBlock.parse({
    type: 'braze',
    settings: { endpoint: url, api_key: API_KEY },
    identify_by: 'userId',
    ...mapping,
    limits,
  });
}

let dir: string;
let store: SqliteStore;
let runner: DeliveryRunner;
let fakes: { close(): Promise<void> }[];

beforeEach(() => {
  dir = makeTempDir('relay-delivery-faults-');
  store = new SqliteStore({ path: join(dir, 'relay.db') });
  runner = new DeliveryRunner({
    store,
    metrics: createMetrics(),
    logger: createLogger({ level: 'silent' }),
    types: DESTINATIONS,
  });
  fakes = [];
});

afterEach(async () => {
  await runner.stop();
  await Promise.all(fakes.map((fake) => fake.close()));
  await store.close();
  removeTempDir(dir);
});

async function fakeBraze(options: Parameters<typeof startFakeBraze>[0] = {}): Promise<FakeBraze> {
  const fake = await startFakeBraze({ apiKey: API_KEY, ...options });
  fakes.push(fake);
  return fake;
}

async function fakeHubspot(options: Parameters<typeof startFakeHubspot>[0] = {}): Promise<FakeHubspot> {
  const fake = await startFakeHubspot(options);
  fakes.push(fake);
  return fake;
}

async function deadLetters(destination: string, includeReplayed = false): Promise<DeadLetter[]> {
  return store.deadLetters({ destination, includeReplayed, limit: 100_000 });
}

describe('delivery under a 429 storm and injected 5xx / timeouts', () => {
  it('delivers every change in order, or dead-letters it with its reason; nothing is lost', async () => {
    const started = Date.now();
    // Braze allows 20 requests/s and the relay is configured for 60, so it runs into 429s (and waits
    // out each one: `Retry-After` / `X-RateLimit-Reset`). HubSpot stays within its limit here: its 429
    // means "wait out the 10 s window", which would only make the test slow. Both fail 20 % of the
    // requests they take with a 500/502 and leave 5 % unanswered.
    const braze = await fakeBraze({ rateLimit: { requests: 20, windowMs: 1000 }, seed: 11 });
    const hubspot = await fakeHubspot({ rateLimit: { requests: 100, windowMs: 1000 }, seed: 12 });
    for (const fake of [braze, hubspot]) fake.setFaults({ errorRate: 0.2, timeoutRate: 0.05 });
    // A permanent failure: Braze drops every object of a `bad-*` user (inside a 201, or a 400 when a
    // request holds nothing else).
    braze.setRejection((array, object) =>
      array === 'attributes' && String(object.external_id).startsWith('bad-') ? BLOCKED : undefined,
    );
    const limits = { max_wait: '1s', timeout: '500ms', max_retry_age: '1h' };
    await runner.configure({
      braze: brazeBlock(
        braze.url,
        { audiences: ['hot', 'vip'], traits: ['lead_score'] },
        { ...limits, batch_size: 10, requests_per_second: 60 },
      ),
      hubspot: DestinationBlock.parse({
        type: 'hubspot',
        settings: { endpoint: hubspot.url, token: 'test-hubspot-token' },
        identify_by: 'email',
        audiences: { hot: { property: 'relay_hot' }, vip: { property: 'relay_vip' } },
        traits: { lead_score: 'relay_lead_score' },
        limits: { ...limits, batch_size: 5, requests_per_second: 60 },
      }),
    });
    runner.start();

    const population = new Population(store);
    const good = Array.from({ length: 300 }, (_, i) => `u-${i}`);
    const bad = Array.from({ length: 10 }, (_, i) => `bad-${i}`);
    const users = [...good, ...bad];
    // Version 1: everyone appears; even users enter `hot`, every fifth enters `vip`.
    await population.write(
      users.map((userId, i) => ({
        userId,
        change: { hot: i % 2 === 0, vip: i % 5 === 0, lead_score: i },
      })),
    );
    // Then rounds of enter / exit / enter ... on overlapping two thirds of the users, while earlier
    // versions are still being delivered, retried and throttled.
    const rounds = 20;
    for (let round = 1; round <= rounds; round += 1) {
      await delay(350);
      const updates = users
        .map((userId, i) => ({ userId, i }))
        .filter(({ i }) => i % 3 !== round % 3)
        .map(({ userId, i }) => {
          const previous = population.final(userId);
          const change: Partial<State> = { hot: !previous.hot };
          if (i % 4 === round % 4) change.vip = !previous.vip;
          if (i % 2 === round % 2) change.lead_score = round * 1000 + i;
          return { userId, change };
        });
      await population.write(updates);
    }
    const writesDone = Date.now();

    // Faults off. Braze's limit stays below the configured rate: its 429s go on until drained.
    for (const fake of [braze, hubspot]) fake.setFaults({});
    await waitFor('both queues to drain', () => drained(store, ['braze', 'hubspot']));
    const finished = Date.now();

    const brazeStatuses = statusCounts(braze.requests);
    const hubspotStatuses = statusCounts(hubspot.requests);
    console.log(
      `fault storm: ${users.length} profiles, ${rounds + 1} versions each written over ${writesDone - started} ms, ` +
        `drained ${finished - writesDone} ms later; braze ${braze.requests.length} requests ` +
        `${JSON.stringify(brazeStatuses)}; hubspot ${hubspot.requests.length} requests ${JSON.stringify(hubspotStatuses)}`,
    );
    // The storm really happened: throttling, injected server errors and unanswered requests.
    expect(brazeStatuses['429'] ?? 0).toBeGreaterThan(0);
    expect(hubspotStatuses['429'] ?? 0).toBe(0);
    for (const statuses of [brazeStatuses, hubspotStatuses]) {
      expect((statuses['500'] ?? 0) + (statuses['502'] ?? 0)).toBeGreaterThan(0);
      expect(statuses.unanswered ?? 0).toBeGreaterThan(0);
    }

    // Never out of order: every applied object matches a version no older than the previous one.
    const brazeApplied = braze
      .accepted()
      .flatMap(brazeObjects)
      .filter(({ userId }) => !userId.startsWith('bad-'));
    expect(outOfOrder(population, brazeApplied)).toEqual([]);
    expect(outOfOrder(population, hubspot.accepted().flatMap(hubspotInputs))).toEqual([]);

    // Nothing lost: every good profile ends exactly in its final state at Braze, every profile at
    // HubSpot ...
    const keys: Key[] = ['hot', 'vip', 'lead_score'];
    const final = (userId: string) => pick(population.final(userId), keys);
    expect(good.filter((u) => !isDeepStrictEqual(brazeState(braze, u, keys), final(u)))).toEqual([]);
    expect(users.filter((u) => !isDeepStrictEqual(hubspotState(hubspot, u), final(u)))).toEqual([]);
    expect(await deadLetters('hubspot')).toEqual([]);

    // ... and nothing of the rejected ones reached Braze; each of their final values is in a dead
    // letter whose reason is Braze's.
    const letters = await deadLetters('braze');
    expect(new Set(letters.map((letter) => userIdOf(letter.profileId)))).toEqual(new Set(bad));
    for (const letter of letters) expect(letter.reason).toContain(BLOCKED);
    console.log(`fault storm: ${letters.length} braze dead letters, e.g. "${letters[0]?.reason}"`);
    for (const userId of bad) {
      expect(braze.attributesFor(userId)).toEqual({});
      const own = letters.filter((letter) => letter.profileId === profileIdOf(userId));
      const state = population.final(userId);
      for (const key of keys) {
        if (state[key] === BASELINE[key]) continue;
        const told = own.some((letter) =>
          key === 'lead_score'
            ? letter.change.traits[key] === state[key]
            : letter.change.audiences[key] === state[key],
        );
        expect(told, `${userId}.${key} = ${String(state[key])} is in a dead letter`).toBe(true);
      }
    }

    // The delivery log saw the same storm as the fakes.
    for (const [name, statuses] of [
      ['braze', brazeStatuses],
      ['hubspot', hubspotStatuses],
    ] as const) {
      const logged = await store.searchDeliveryLog({ destination: name, limit: 100_000 });
      expect(logged.filter((entry) => entry.status === '429')).toHaveLength(statuses['429'] ?? 0);
      expect(logged.filter((entry) => entry.status === 'timeout')).toHaveLength(statuses.unanswered ?? 0);
    }
  });

  it('gives up after max_retry_age with the reason; a replay delivers only what is still current', async () => {
    const braze = await fakeBraze();
    braze.setFaults({ down: true });
    await runner.configure({
      braze: brazeBlock(
        braze.url,
        { audiences: ['vip'], traits: ['lead_score'] },
        { requests_per_second: 20, max_wait: '1s', timeout: '1s', max_retry_age: '2s' },
      ),
    });
    runner.start();
    const population = new Population(store);
    const group = (from: number) => Array.from({ length: 10 }, (_, i) => `u-${from + i}`);
    const exitedSince = group(0); // enter while Braze is down, exit after it is back
    const unchanged = group(10); // enter while Braze is down, nothing after
    const otherKey = group(20); // enter while Braze is down, a trait changes after it is back
    const everyone = [...exitedSince, ...unchanged, ...otherKey];
    await population.write(everyone.map((userId) => ({ userId, change: { vip: true } })));

    await waitFor('every change to be given up', async () => {
      return (await deadLetters('braze')).length === everyone.length && drained(store, ['braze']);
    });
    const letters = await deadLetters('braze');
    for (const letter of letters) {
      expect(letter.reason).toMatch(/^gave up after \d+ attempts: HTTP 503: server error/);
      expect(letter.attempts).toBeGreaterThanOrEqual(2);
      expect(letter.change.audiences).toEqual({ vip: true });
    }
    expect(braze.accepted()).toHaveLength(0);
    const attemptsWhileDown = braze.requests.length;

    // Braze is back; newer changes arrive and are delivered before anyone replays.
    braze.setFaults({});
    await population.write([
      ...exitedSince.map((userId) => ({ userId, change: { vip: false } })),
      ...otherKey.map((userId, i) => ({ userId, change: { lead_score: 100 + i } })),
    ]);
    await waitFor('the newer changes', () => drained(store, ['braze']));

    const replayed = await store.replayDeadLetters('all', 'braze', Date.now());
    expect(replayed).toBe(everyone.length);
    runner.wake();
    await waitFor('the replay', () => drained(store, ['braze']));

    expect(await deadLetters('braze')).toHaveLength(0);
    const all = await deadLetters('braze', true);
    expect(all).toHaveLength(everyone.length);
    for (const letter of all) expect(letter.replayedAt).not.toBeNull();
    // The replay resent the entries that are still true, and not the ones exited since.
    const keys: Key[] = ['vip', 'lead_score'];
    for (const userId of everyone) {
      expect(brazeState(braze, userId, keys), userId).toEqual(pick(population.final(userId), keys));
    }
    expect(outOfOrder(population, braze.accepted().flatMap(brazeObjects))).toEqual([]);
    console.log(
      `max_retry_age: ${letters.length} dead letters after ${attemptsWhileDown} requests to a down Braze ` +
        `(reason e.g. "${letters[0]?.reason}"); after replay ${braze.accepted().length} accepted requests`,
    );
  });
});

describe('delivery at the configured rate limit', () => {
  it('sends 10k changes with zero 429s, in full requests of 75 except the last of each flush', async () => {
    const limit = 50;
    const braze = await fakeBraze({ rateLimit: { requests: limit, windowMs: 1000 } });
    await runner.configure({
      braze: brazeBlock(braze.url, { audiences: ['hot'] }, { requests_per_second: limit, max_wait: '1s' }),
    });
    const population = new Population(store);
    const users = Array.from({ length: 10_000 }, (_, i) => `u-${i}`);
    for (let from = 0; from < users.length; from += 1000) {
      await population.write(
        users.slice(from, from + 1000).map((userId) => ({ userId, change: { hot: true } })),
      );
    }
    const started = Date.now();
    runner.start();
    await waitFor('10k changes to be delivered', () => drained(store, ['braze']));
    const firstFlushMs = Date.now() - started;
    const firstFlush = braze.requests.length;

    // A second, smaller flush once the queue is empty: 100 users leave the audience.
    const leaving = users.slice(0, 100);
    await population.write(leaving.map((userId) => ({ userId, change: { hot: false } })));
    await waitFor('the second flush', () => drained(store, ['braze']));

    const sizes = braze.requests.map((request) => brazeObjects(request).length);
    console.log(
      `limits: ${braze.requests.length} requests ${JSON.stringify(statusCounts(braze.requests))}, ` +
        `first flush (10,000 changes) ${firstFlush} requests in ${firstFlushMs} ms, sizes of the last three ` +
        `${JSON.stringify(sizes.slice(-3))}`,
    );
    expect(braze.requests.filter((request) => request.status === 429)).toHaveLength(0);
    expect(braze.accepted()).toHaveLength(braze.requests.length);
    // A flush drains the backlog in batches of `batch_size` (75) due rows: 10,000 = 133 x 75 + 25,
    // then 100 = 75 + 25. Every request is full except the last of each flush.
    expect(firstFlush).toBe(134);
    expect(sizes).toEqual([...Array<number>(133).fill(75), 25, 75, 25]);
    const firstIds = braze.requests.slice(0, firstFlush).flatMap((r) => brazeObjects(r).map((o) => o.userId));
    expect(new Set(firstIds).size).toBe(10_000);
    expect(firstIds).toHaveLength(10_000);
    const missing = users.filter(
      (userId) => braze.attributesFor(userId).segment_hot !== population.final(userId).hot,
    );
    expect(missing).toEqual([]);
  });
});
