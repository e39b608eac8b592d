import { randomUUID } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { startTestRelay } from './helpers/in-process-relay.js';
import {
  basicAuth,
  copyMappings,
  startRelayProcess,
  WRITE_KEYS,
  type RelayProcess,
} from './helpers/relay-process.js';
import { makeTempDir, removeTempDir } from './helpers/temp-dir.js';

/**
 * Reloading the mapping files of the relay as `npm start` runs it: a child process, processing and
 * delivery in their worker thread, the real clock. A new trait must be backfilled from the stored
 * events and count new ones, and a new audience must be evaluated, whatever triggered the reload.
 */
const ADMIN_TOKEN = 'reload-process-admin-token-00001';
/** How long any one awaited change may take before the test reports what it saw instead. */
const DEADLINE_MS = 10_000;

interface ReloadStatus {
  ok: boolean;
  at: string;
  trigger: string;
}
interface ConfigView {
  traits: string[];
  lastReload: ReloadStatus;
  backfills: { name: string; status: string }[];
}
interface ProfileView {
  profileId: string;
  traits: Record<string, unknown>;
}

const dir = makeTempDir('relay-reload-process-');
let relay: RelayProcess;
let mappingsDir: string;
/** A mapping file that lives outside the watched directory, linked into it before the start. */
const outsideFile = join(dir, 'outside', 'signal.yaml');

beforeAll(async () => {
  mappingsDir = copyMappings(dir);
  // Writing to the link's target changes what the relay reads without any event in the watched
  // directory, so only SIGHUP can pick the change up.
  mkdirSync(join(dir, 'outside'));
  writeFileSync(outsideFile, '# the SIGHUP test writes its trait and audience here\n');
  symlinkSync(outsideFile, join(mappingsDir, 'signal.yaml'));
  relay = await startRelayProcess({
    storeUrl: `sqlite:${join(dir, 'relay.db')}`,
    adminToken: ADMIN_TOKEN,
    env: { MAPPINGS_DIR: mappingsDir },
  });
});

afterAll(async () => {
  await relay?.stop();
  removeTempDir(dir);
});

async function admin<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as T };
}

const config = async () => (await admin<ConfigView>('/config')).body;

async function traitOf(userId: string, trait: string): Promise<unknown> {
  const { status, body } = await admin<ProfileView>(`/profiles?userId=${encodeURIComponent(userId)}`);
  return status === 200 ? body.traits[trait] : undefined;
}

async function profileId(userId: string): Promise<string | undefined> {
  const { status, body } = await admin<ProfileView>(`/profiles?userId=${encodeURIComponent(userId)}`);
  return status === 200 ? body.profileId : undefined;
}

async function audience(name: string): Promise<{ size: number; members: (string | undefined)[] }> {
  const list = await admin<{ audiences: { name: string; size: number }[] }>('/audiences');
  const members = await admin<{ members?: string[] }>(`/audiences/${name}/members`);
  const size = list.body.audiences.find((entry) => entry.name === name)?.size ?? 0;
  return { size, members: [...(members.body.members ?? [])].sort() };
}

/** Polls `read` until `done` holds or the deadline passes; returns the last value either way. */
async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = DEADLINE_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await delay(50);
  }
}

/** Waits for the first reload after the one at `after` that put `trait` in force. */
function reloadAdding(after: ReloadStatus, trait: string): Promise<ConfigView> {
  return until(config, (view) => view.lastReload.at !== after.at && view.traits.includes(trait));
}

/** Sends `count` track events of `event` for `userId` and waits until processing has taken them. */
async function track(userId: string, event: string, count: number): Promise<void> {
  const batch = Array.from({ length: count }, () => ({
    type: 'track',
    userId,
    event,
    messageId: randomUUID(),
  }));
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  const progress = () => admin<{ storedSeq: number; processedSeq: number }>('/processing');
  const stored = (await progress()).body.storedSeq;
  const done = await until(progress, ({ body }) => body.processedSeq >= stored);
  expect(done.body.processedSeq).toBeGreaterThanOrEqual(stored);
}

/** A trait counting `event` over 7 days and an audience of profiles with at least `min` of them. */
function traitAndAudience(trait: string, event: string, audienceName: string, min: number): string {
  return [
    'traits:',
    `  ${trait}:`,
    `    count: { event: ${event}, window: 7d }`,
    'audiences:',
    `  ${audienceName}:`,
    `    rule: { trait: ${trait}, gte: ${min} }`,
    '',
  ].join('\n');
}

/** Polls `read` until it equals `expected`; fails with the last value after the deadline. */
async function expectEventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  expect(await until(read, (value) => isDeepStrictEqual(value, expected))).toEqual(expected);
}

/**
 * After the reload that added `trait` and `audienceName` (at least `live.count` events):
 * `backfilled` had enough events before the reload and gets the trait and the membership from the
 * backfill; `live` was one event short and gets there with one new event.
 */
async function expectBackfilledAndLive(options: {
  trait: string;
  event: string;
  audienceName: string;
  backfilled: { userId: string; count: number };
  live: { userId: string; count: number };
}): Promise<void> {
  const { trait, event, audienceName, backfilled, live } = options;
  const definitions = [`audience:${audienceName}`, `trait:${trait}`];
  const backfillStatus = async () =>
    (await config()).backfills
      .filter((row) => definitions.includes(row.name))
      .map((row) => `${row.name} ${row.status}`)
      .sort();
  await expectEventually(
    backfillStatus,
    definitions.map((name) => `${name} ready`),
  );
  await expectEventually(() => traitOf(backfilled.userId, trait), backfilled.count);
  await expectEventually(() => traitOf(live.userId, trait), live.count - 1);
  const first = await profileId(backfilled.userId);
  await expectEventually(() => audience(audienceName), { size: 1, members: [first] });

  await track(live.userId, event, 1);
  await expectEventually(() => traitOf(live.userId, trait), live.count);
  const second = await profileId(live.userId);
  await expectEventually(() => audience(audienceName), { size: 2, members: [first, second].sort() });
}

describe('reloading the mapping files of the relay process (worker thread, real clock)', () => {
  it('a new mapping file reaches processing: backfill, new events, audience evaluation', async () => {
    const startup = (await config()).lastReload;
    expect(startup).toMatchObject({ ok: true, trigger: 'startup' });
    await track('clicker-a', 'Clicked', 3);
    await track('clicker-b', 'Clicked', 1);

    writeFileSync(join(mappingsDir, 'clicks.yaml'), traitAndAudience('clicks_7d', 'Clicked', 'clickers', 2));
    const reloaded = await reloadAdding(startup, 'clicks_7d');
    expect(reloaded.traits).toContain('clicks_7d');
    expect(reloaded.lastReload).toMatchObject({ ok: true, trigger: 'file' });

    await expectBackfilledAndLive({
      trait: 'clicks_7d',
      event: 'Clicked',
      audienceName: 'clickers',
      backfilled: { userId: 'clicker-a', count: 3 },
      live: { userId: 'clicker-b', count: 2 },
    });
  });

  it('SIGHUP reaches processing too, with no file event to rely on', async () => {
    await track('sharer-a', 'Shared', 2);
    await track('sharer-b', 'Shared', 1);
    const before = (await config()).lastReload;

    writeFileSync(outsideFile, traitAndAudience('shares_7d', 'Shared', 'sharers', 2));
    relay.signal('SIGHUP');
    const reloaded = await reloadAdding(before, 'shares_7d');
    expect(reloaded.traits).toContain('shares_7d');
    expect(reloaded.lastReload).toMatchObject({ ok: true, trigger: 'signal' });

    await expectBackfilledAndLive({
      trait: 'shares_7d',
      event: 'Shared',
      audienceName: 'sharers',
      backfilled: { userId: 'sharer-a', count: 2 },
      live: { userId: 'sharer-b', count: 2 },
    });
    // The watcher saw nothing: the signal's reload is still the last one.
    expect((await config()).lastReload).toEqual(reloaded.lastReload);
  });

  it('ignores files that are not *.yaml / *.yml (editor swap files, notes)', async () => {
    const before = (await config()).lastReload;
    writeFileSync(join(mappingsDir, 'notes.txt'), 'traits: this is not read\n');
    writeFileSync(join(mappingsDir, '.clicks.yaml.swp'), 'swap');
    writeFileSync(join(mappingsDir, 'clicks.yaml~'), 'backup');
    // A negative: watch the last reload for several debounce periods.
    const changed = await until(
      async () => (await config()).lastReload,
      (last) => last.at !== before.at,
      1_500,
    );
    expect(changed).toEqual(before);

    // The watcher is alive: a YAML file written now is picked up.
    writeFileSync(
      join(mappingsDir, 'later.yaml'),
      'traits:\n  views_7d:\n    count: { event: Viewed, window: 7d }\n',
    );
    const reloaded = await reloadAdding(before, 'views_7d');
    expect(reloaded.lastReload).toMatchObject({ ok: true, trigger: 'file' });
  });
});

describe('the same file change with processing on the HTTP thread (injected clock)', () => {
  it('backfills the new trait and counts new events', async () => {
    const inlineRoot = makeTempDir('relay-reload-inline-');
    const inline = await startTestRelay({
      root: inlineRoot,
      adminToken: ADMIN_TOKEN,
      clock: new ManualClock(Date.now()),
    });
    const send = async (messageId: string) => {
      const res = await fetch(`${inline.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
        body: JSON.stringify({ userId: 'inline-1', event: 'Clicked', messageId }),
      });
      expect(res.status).toBe(200);
      await inline.whenIdle();
    };
    const clicks = async () => {
      const res = await fetch(`${inline.url}/admin/api/profiles?userId=inline-1`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return ((await res.json()) as ProfileView).traits.clicks_7d;
    };
    try {
      await send('inline-click-1');
      await send('inline-click-2');
      writeFileSync(
        join(inline.mappingsDir, 'clicks.yaml'),
        traitAndAudience('clicks_7d', 'Clicked', 'clickers', 2),
      );
      // lastReload is set once the background has taken the reload.
      const reloaded = await until(
        async () => {
          const res = await fetch(`${inline.url}/admin/api/config`, {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          });
          return ((await res.json()) as ConfigView).lastReload;
        },
        (last) => last.trigger === 'file',
      );
      expect(reloaded).toMatchObject({ ok: true, trigger: 'file' });
      await inline.whenIdle();
      expect(await clicks()).toBe(2);
      await send('inline-click-3');
      expect(await clicks()).toBe(3);
    } finally {
      await inline.close();
      removeTempDir(inlineRoot);
    }
  });
});
