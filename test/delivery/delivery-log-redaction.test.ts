import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { FakeDefinition, RegisteredDestination } from '../../src/delivery/destination.js';
import type { FakeServer } from '../../src/destinations/fake-kit.js';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { RunningRelay } from '../../src/relay.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { findRawIdentifiers, leavesOf } from '../helpers/raw-identifiers.js';
import { basicAuth, REPO_ROOT, WRITE_KEYS } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/**
 * The delivery log never keeps a raw identifier or a credential, for every registered destination
 * that has a fake. Each is configured from one of its own case files (the settings pointed at its
 * fake started on a free port, the credentials the fake's), so a destination added to the registry
 * is covered without touching this file. Two people with e-mails, phone numbers and names enter
 * `high_intent` and `cart_abandoners` through the intake (inline relay, ManualClock); once every
 * destination has logged a request, every field of every entry is searched.
 */

const ADMIN_TOKEN = 'delivery-log-redaction-admin-token-01';
const MINUTE = 60_000;
const WAIT_MS = 30_000;
const EXAMPLE_AUDIENCES = new Set(['high_intent', 'cart_abandoners']);

const PEOPLE = [
  {
    userId: 'redaction-lead-1',
    traits: {
      email: 'Redaction.Lead+One@Example.COM',
      phone: '+1 (650) 555-0142',
      first_name: 'Ada',
      last_name: 'Lovelace',
      country: 'US',
      title: 'VP Sales',
    },
  },
  {
    userId: 'redaction-lead-2',
    traits: {
      email: 'zoe.redaction@example.org',
      phone: '+49 151 2345 6789',
      first_name: 'Zoë',
      last_name: 'Müller',
      country: 'DE',
    },
  },
];
/** The phones as digits, the form a normalised but unhashed key would take. */
const PHONE_DIGITS = new Set(PEOPLE.map((person) => person.traits.phone.replace(/\D/g, '')));

type WithFake = RegisteredDestination & { fake: FakeDefinition };

interface Target {
  destination: WithFake;
  server: FakeServer;
  block: Record<string, unknown>;
}

const root = makeTempDir('relay-log-redaction-');
const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
let targets: Target[] = [];
let relay: RunningRelay | undefined;

beforeAll(async () => {
  const withFakes = Object.values(DESTINATIONS).filter((d): d is WithFake => d.fake !== undefined);
  for (const destination of withFakes) {
    const server = await destination.fake.start({ port: 0 });
    targets.push({ destination, server, block: destinationBlock(destination, server.url) });
  }
  const destinations = Object.fromEntries(targets.map(({ destination, block }) => [destination.type, block]));
  relay = await startTestRelay({
    root,
    clock,
    adminToken: ADMIN_TOKEN,
    mappingFiles: { 'destinations.yaml': stringify({ destinations }) },
  });
});

afterAll(async () => {
  await relay?.close();
  await Promise.all(targets.map(({ server }) => server.close()));
  targets = [];
  removeTempDir(root);
});

/**
 * A destination block from the type's richest case file (the longest mapping: the most match keys
 * and traits) among those whose audiences are all example audiences: URLs in its settings moved onto
 * the fake (path kept), credential-like settings set to the fake's credential, no batching delay.
 */
function destinationBlock(destination: WithFake, fakeUrl: string): Record<string, unknown> {
  const casesDir = join(folderOf(destination.type), 'cases');
  const usable = readdirSync(casesDir)
    .sort()
    .map((file) => JSON.parse(readFileSync(join(casesDir, file), 'utf8')) as CaseFile)
    .filter((json) => json.settings && json.mapping && syncsExampleAudiences(destination, json.mapping));
  const richest = usable.reduce<CaseFile | undefined>(
    (best, json) => (best && size(best.mapping) >= size(json.mapping) ? best : json),
    undefined,
  );
  if (!richest?.settings || !richest.mapping)
    throw new Error(`${destination.type}: no case file in ${casesDir} syncs only ${[...EXAMPLE_AUDIENCES]}`);
  const settings = Object.fromEntries(
    Object.entries(richest.settings).map(([key, value]) => [
      key,
      onFake(key, value, fakeUrl, destination.fake),
    ]),
  );
  return { type: destination.type, settings, ...richest.mapping, limits: { max_wait: '0s' } };
}

interface CaseFile {
  settings?: Record<string, unknown>;
  mapping?: Record<string, unknown>;
}

function syncsExampleAudiences(destination: WithFake, rawMapping: unknown): boolean {
  const mapping = destination.mappingSchema.safeParse(rawMapping);
  if (!mapping.success) return false;
  const audiences = destination.audiencesOf(mapping.data);
  return audiences.length > 0 && audiences.every((audience) => EXAMPLE_AUDIENCES.has(audience));
}

function size(mapping: unknown): number {
  return JSON.stringify(mapping ?? null).length;
}

function onFake(key: string, value: unknown, fakeUrl: string, fake: FakeDefinition): unknown {
  if (typeof value !== 'string') return value;
  if (/^https?:\/\//.test(value)) return `${fakeUrl}${value.slice(new URL(value).origin.length)}`;
  if (/token|key|secret|password/i.test(key) && fake.credential !== '') return fake.credential;
  return value;
}

/** The destination folder whose index.ts declares the type (folders need not be named like types). */
function folderOf(type: string): string {
  const base = join(REPO_ROOT, 'src', 'destinations');
  for (const folder of readdirSync(base, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    const index = join(base, folder.name, 'index.ts');
    if (existsSync(index) && readFileSync(index, 'utf8').includes(`type: '${type}'`))
      return join(base, folder.name);
  }
  throw new Error(`no folder under ${base} declares type '${type}'`);
}

async function sendEvents(): Promise<void> {
  if (!relay) throw new Error('the relay did not start');
  const batch: Record<string, unknown>[] = [];
  for (const person of PEOPLE) {
    const timestamp = () => new Date(clock.now()).toISOString();
    batch.push({ type: 'identify', userId: person.userId, traits: person.traits, timestamp: timestamp() });
    for (let view = 0; view < 4; view++) {
      clock.advance(MINUTE);
      batch.push({
        type: 'page',
        userId: person.userId,
        name: 'Pricing',
        context: { page: { path: '/pricing' } },
        timestamp: timestamp(),
      });
    }
    batch.push({ type: 'track', userId: person.userId, event: 'Product Added', timestamp: timestamp() });
  }
  const sent = batch.map((event, index) => ({ ...event, messageId: `redaction-${index}` }));
  const response = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: basicAuth(WRITE_KEYS.web), 'content-type': 'application/json' },
    body: JSON.stringify({ batch: sent }),
  });
  expect(response.status, await response.text()).toBe(200);
  await relay.whenIdle();
}

describe('the delivery log of every destination with a fake', () => {
  it('holds no raw e-mail, phone number or credential, whatever the destination answered', async () => {
    const store = relay?.store;
    if (!store) throw new Error('the relay did not start');
    await sendEvents();

    const deadline = Date.now() + WAIT_MS;
    let silent = targets;
    while (silent.length > 0 && Date.now() < deadline) {
      await delay(50);
      const logged = await Promise.all(
        silent.map(async (target) => {
          const entries = await store.searchDeliveryLog({ destination: target.destination.type, limit: 1 });
          return entries.length > 0;
        }),
      );
      silent = silent.filter((_target, index) => !logged[index]);
    }
    expect(
      silent.map(({ destination, server }) => `${destination.type} (its fake got ${server.requests.length})`),
      'destinations with nothing in the delivery log',
    ).toEqual([]);

    const entries = await store.searchDeliveryLog({ limit: 100_000 });
    const credentials = targets.map(({ destination }) => destination.fake.credential).filter(Boolean);
    const offences = entries.flatMap((entry) =>
      leavesOf(entry, entry.destination).flatMap(([at, text]) => [
        ...findRawIdentifiers(text, PHONE_DIGITS).map((found) => `${at}: raw ${found.kind} ${found.value}`),
        ...credentials.filter((secret) => text.includes(secret)).map(() => `${at}: a credential`),
      ]),
    );
    expect(offences).toEqual([]);
    expect(entries.length).toBeGreaterThanOrEqual(targets.length);
  });

  it('sent ad platforms no raw e-mail or phone number either', () => {
    const offences = targets
      .filter(({ destination }) => destination.kind === 'set')
      .flatMap(({ destination, server }) =>
        server.requests.flatMap((request) =>
          leavesOf({ path: request.path, body: request.body }, destination.type).flatMap(([at, text]) =>
            findRawIdentifiers(text, PHONE_DIGITS).map((found) => `${at}: raw ${found.kind} ${found.value}`),
          ),
        ),
      );
    expect(offences).toEqual([]);
  });
});
