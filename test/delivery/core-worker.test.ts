import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { registerDestination, type DestinationType } from '../../src/delivery/destination.js';
import { DeliveryRunner } from '../../src/delivery/runner.js';
import { startFakeKit, type FakeServer } from '../../src/destinations/fake-kit.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics, type Metrics } from '../../src/lib/metrics.js';
import { DestinationBlock } from '../../src/mappings/destinations-schema.js';
import type { OutboxRow } from '../../src/store/profile-port.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * The delivery core against a probe destination over real HTTP: one request per audience (a change
 * split across requests), a ledger key set per add, a classifier that can be made to throw, and a
 * fake whose answer per audience the test sets. What is asserted is what the fake received and what
 * the store holds.
 */

interface ProbeBody {
  audience: string;
  op: 'add' | 'remove';
  profiles: { id: string; key: string; held: unknown }[];
}

const Mapping = z.object({ audiences: z.array(z.string()) });
type Mapping = z.infer<typeof Mapping>;
const Settings = z.object({ url: z.string() });
type Settings = z.infer<typeof Settings>;

/** What the probe's classifier does next: normal, throw, or signal. */
const behaviour: { classify: 'normal' | 'throw'; build: 'normal' | 'throw' } = {
  classify: 'normal',
  build: 'normal',
};

const probe: DestinationType<Settings, Mapping> = {
  type: 'probe',
  title: 'Probe',
  kind: 'set',
  settings: Settings,
  mapping: Mapping,
  limits: { batchSize: 50, requestsPerWindow: 1000, windowMs: 1000, timeoutMs: 2000, maxWaitMs: 0 },
  subscriptions: (mapping) => ({ audiences: mapping.audiences, traits: [] }),
  buildBatch(items, { settings, mapping }) {
    if (behaviour.build === 'throw') throw new Error('build exploded for ada@example.com');
    return {
      skipped: [],
      requests: mapping.audiences.flatMap((audience) =>
        (['add', 'remove'] as const).flatMap((op) => {
          const indices = items.flatMap((item, i) =>
            item.audiences[audience] === (op === 'add') ? [i] : [],
          );
          if (indices.length === 0) return [];
          const key = (i: number) => `k-${items[i]!.identifiers.email ?? '?'}`.replace(/@.*/, '');
          const body: ProbeBody = {
            audience,
            op,
            profiles: indices.map((i) => ({
              id: items[i]!.profileId,
              key: key(i),
              held: items[i]!.held[audience] ?? [],
            })),
          };
          return [
            {
              method: 'POST' as const,
              url: `${settings.url}/${audience}`,
              headers: { 'Content-Type': 'application/json' },
              body,
              items: indices,
              audience,
              parts: indices.map((i) => ({
                audiences: [audience],
                hold: { [audience]: op === 'add' ? { KEY: key(i) } : null },
              })),
            },
          ];
        }),
      ),
    };
  },
  classify(result, request) {
    if (behaviour.classify === 'throw') throw new Error('classifier exploded');
    const all = (outcome: { kind: 'ok' } | { kind: 'retry'; reason: string }) =>
      request.items.map(() => outcome);
    if (result.kind !== 'response') return all({ kind: 'retry', reason: result.kind });
    if (result.status === 429)
      return {
        items: all({ kind: 'retry', reason: 'throttled' }),
        signal: { kind: 'throttled', forMs: 400, reason: 'slow down' },
      };
    if (result.status >= 300) return all({ kind: 'retry', reason: `HTTP ${result.status}` });
    return { items: all({ kind: 'ok' }), report: { received: request.items.length, invalidEntries: 1 } };
  },
  redactBody: (body) => body,
};

const PROBE = registerDestination(probe);

let dir: string;
let store: SqliteStore;
let runner: DeliveryRunner;
let fake: FakeServer;
let metrics: Metrics;
/** Status the fake answers per audience path. */
let answers: Record<string, number>;
let version = 0;

beforeEach(async () => {
  behaviour.classify = 'normal';
  behaviour.build = 'normal';
  answers = {};
  dir = makeTempDir('relay-core-');
  store = new SqliteStore({ path: join(dir, 'relay.db') });
  metrics = createMetrics();
  runner = new DeliveryRunner({
    store,
    metrics,
    logger: createLogger({ level: 'silent' }),
    types: { probe: PROBE },
  });
  fake = await startFakeKit({
    type: 'probe',
    rateLimit: { requests: 10_000, windowMs: 1000 },
    throttled: (res) => void res.status(429).end(),
    routes: (app) =>
      app.post('/:audience', (req, res) => {
        const status = answers[req.params.audience] ?? 200;
        res.status(status).json({ ok: status < 300 });
      }),
  });
  await runner.configure({
    probe: DestinationBlock.parse({
      type: 'probe',
      settings: { url: fake.url },
      audiences: ['a', 'b'],
      limits: { max_wait: '0s', max_retry_age: '1h' },
    }),
  });
  runner.start();
});

afterEach(async () => {
  await runner.stop();
  await fake.close();
  await store.close();
  removeTempDir(dir);
});

/** One processing commit for profile p1 (ada@example.com): the given audiences now. */
async function change(audiences: Record<string, boolean>, email = 'ada@example.com'): Promise<void> {
  version += 1;
  const now = Date.now();
  const outbox: OutboxRow[] = Object.entries(audiences).map(([name, member]) => ({
    profileId: 'p1',
    kind: 'audience',
    name,
    value: JSON.stringify(member),
    profileVersion: version,
    at: now,
    eventReceivedAt: now,
    messageId: `m-${version}`,
  }));
  await store.commitProcessing({
    merges: [],
    profiles: [{ id: 'p1', state: '{}', version, createdAt: now, updatedAt: now, nextWakeAt: null }],
    identifiers: [{ kind: 'email', value: email, profileId: 'p1' }],
    profileEvents: [],
    outbox,
    memberships: [],
  });
  runner.wake();
}

async function waitFor(what: string, probeFn: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await probeFn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

const bodies = (audience: string) =>
  fake.requests.filter((r) => r.path === `/${audience}` && r.status !== 0).map((r) => r.body as ProbeBody);

describe('the delivery core', () => {
  it('settles each request only for what it carried: enter a answered 200, exit b answered 503', async () => {
    await change({ b: true });
    await waitFor(
      'b delivered',
      async () => (await store.deliveredState('probe', 'p1'))?.audiences.b === true,
    );
    answers.b = 503;
    await change({ a: true, b: false });
    await waitFor('a delivered and b retried', async () => {
      const pending = (await store.duePending('probe', Date.now() + 3_600_000, 10))[0];
      return (
        (await store.deliveredState('probe', 'p1'))?.audiences.a === true && (pending?.attempts ?? 0) >= 1
      );
    });
    const state = await store.deliveredState('probe', 'p1');
    expect(state?.audiences).toEqual({ a: true, b: true });
    const [pending] = await store.duePending('probe', Date.now() + 3_600_000, 10);
    expect(pending?.audiences).toEqual({ b: false });
    answers.b = 200;
    await waitFor(
      'b exit delivered',
      async () => (await store.deliveredState('probe', 'p1'))?.audiences.b === false,
    );
    expect(await store.pendingCount('probe')).toBe(0);
    expect(await store.deadLetters({ limit: 10 })).toEqual([]);
  });

  it('removes under the key set of the add, even after the e-mail changed; the ledger empties', async () => {
    await change({ a: true }, 'ada@example.com');
    await waitFor('added', async () => (await store.heldKeys('probe', ['p1'])).get('p1')?.a !== undefined);
    expect((await store.heldKeys('probe', ['p1'])).get('p1')).toEqual({ a: [{ KEY: 'k-ada' }] });
    await change({ a: false }, 'ada.new@example.com');
    await waitFor('removed', async () => (await store.heldKeys('probe', ['p1'])).size === 0);
    const removal = bodies('a').find((body) => body.op === 'remove');
    expect(removal?.profiles).toEqual([{ id: 'p1', key: 'k-ada.new', held: [{ KEY: 'k-ada' }] }]);
    const [stats] = await store.matchStats('probe');
    expect(stats).toMatchObject({ audience: 'a', held: 0, added: 1, removed: 1, invalidEntries: 2 });
  });

  it('enter and leave before a flush sends nothing', async () => {
    await runner.stop();
    await change({ a: true });
    await change({ a: false });
    runner.start();
    await waitFor(
      'queue drained',
      async () => (await store.pendingCount('probe')) === 0 && (await store.readOutbox(0, 10)).length >= 0,
    );
    await waitFor('fan-out done', async () => (await store.pendingCount('probe')) === 0);
    expect(fake.requests).toEqual([]);
  });

  it('a classifier that throws retries with backoff, counts the bug, then recovers', async () => {
    behaviour.classify = 'throw';
    await change({ a: true });
    await waitFor(
      'a retry',
      async () => ((await store.duePending('probe', Date.now() + 3_600_000, 1))[0]?.attempts ?? 0) >= 1,
    );
    const [pending] = await store.duePending('probe', Date.now() + 3_600_000, 1);
    expect(pending?.lastError).toBe('bug in classify: classifier exploded');
    expect(pending!.nextAttemptAt).toBeGreaterThan(Date.now());
    const bugs = await metrics.registry.getSingleMetricAsString('relay_delivery_bugs_total');
    expect(bugs).toContain('stage="classify"');
    behaviour.classify = 'normal';
    await waitFor('delivered', async () => (await store.deliveredState('probe', 'p1'))?.audiences.a === true);
    const log = await store.searchDeliveryLog({ destination: 'probe', limit: 10 });
    expect(log.some((entry) => entry.outcome.includes('retry: bug in classify'))).toBe(true);
  });

  it('a build that throws sends nothing, keeps the change and dead-letters it at the max age, without raw e-mails', async () => {
    await runner.configure({
      probe: DestinationBlock.parse({
        type: 'probe',
        settings: { url: fake.url },
        audiences: ['a', 'b'],
        limits: { max_wait: '0s', max_retry_age: '1s' },
      }),
    });
    behaviour.build = 'throw';
    await change({ a: true });
    await waitFor('dead letter', async () => (await store.deadLetters({ limit: 10 })).length > 0);
    const [letter] = await store.deadLetters({ limit: 10 });
    expect(letter?.reason).toMatch(
      /^gave up after \d+ attempts: bug in build: build exploded for sha256:[0-9a-f]{16}$/,
    );
    expect(fake.requests).toEqual([]);
    const log = await store.searchDeliveryLog({ destination: 'probe', limit: 50 });
    expect(log.every((entry) => entry.status === 'bug')).toBe(true);
    expect(JSON.stringify(log)).not.toContain('ada@example.com');
  });

  it('a throttled signal pauses the whole destination for the time it names', async () => {
    answers.a = 429;
    await change({ a: true });
    await waitFor('throttled once', () => fake.requests.some((r) => r.status === 429));
    answers.a = 200;
    await waitFor('delivered', async () => (await store.deliveredState('probe', 'p1'))?.audiences.a === true);
    const [throttled, next] = fake.requests.filter((r) => r.path === '/a');
    expect(next!.at - throttled!.at).toBeGreaterThanOrEqual(400);
  });
});
