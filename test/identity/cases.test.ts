import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { z } from 'zod';
import type { RunningRelay } from '../../src/relay.js';
import { describeCaseFiles } from '../helpers/case-files.js';
import { startTestRelay } from '../helpers/in-process-relay.js';
import { basicAuth, WRITE_KEYS } from '../helpers/relay-process.js';

/**
 * The identity rules of docs/processing.md as case files: events in arrival order (one request per
 * step), then who exists. Every case runs twice on the relay's background thread: each step processed
 * before the next is sent (rules across processing batches and the store), and all steps sent at once
 * (rules inside one batch). Ids are prefixed per run, so runs share one relay.
 */
const IdentityCase = z.object({
  name: z.string(),
  steps: z.array(z.array(z.record(z.string(), z.unknown()))),
  expect: z.object({
    profiles: z.number(),
    people: z.array(
      z.object({
        identifiers: z.array(z.string()),
        events: z.number(),
        traits: z.record(z.string(), z.unknown()),
      }),
    ),
    members: z.record(z.string(), z.number()),
  }),
});
type IdentityCase = z.infer<typeof IdentityCase>;

const ADMIN_TOKEN = 'identity-cases-admin-token-01';
const TEST_MAPPINGS = `
traits:
  clicks:
    count: { event: Clicked, window: 30d }
audiences:
  clicked_twice:
    rule: { performed: { event: Clicked }, at_least: 2, within: 30d }
`;
const root = mkdtempSync(join(tmpdir(), 'relay-identity-'));
let relay: RunningRelay;
let run = 0;
/** Events of the last hour: well inside every window and the allowed lateness. */
const STARTED_AT = Date.now() - 3_600_000;

beforeAll(async () => {
  relay = await startTestRelay({
    root,
    adminToken: ADMIN_TOKEN,
    mappingFiles: { 'identity.yaml': TEST_MAPPINGS },
  });
});

afterAll(async () => {
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

async function admin<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${relay.url}/admin/api${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function counts(): Promise<{ profiles: number; members: Record<string, number> }> {
  await relay.whenIdle();
  const processing = await admin<{ profiles: number }>('/processing');
  const audiences = await admin<{ audiences: { name: string; size: number }[] }>('/audiences');
  return {
    profiles: processing.body.profiles,
    members: Object.fromEntries(audiences.body.audiences.map((a) => [a.name, a.size])),
  };
}

/** Every id in an event, prefixed so each run is a world of its own. */
function namespaced(event: Record<string, unknown>, prefix: string, index: number): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...event, messageId: `${prefix}m${index}` };
  for (const key of ['userId', 'anonymousId', 'previousId'] as const) {
    if (typeof event[key] === 'string') copy[key] = `${prefix}${event[key]}`;
  }
  copy.timestamp = new Date(STARTED_AT + index * 1000).toISOString();
  return JSON.parse(withDomain(JSON.stringify(copy), prefix)) as Record<string, unknown>;
}

/** E-mails of a run live at a domain of their own. */
function withDomain(text: string, prefix: string): string {
  return text.replace(/@example\.com/gi, `@${prefix}example.com`);
}

function prefixedIdentifier(identifier: string, prefix: string): string {
  const [kind, value] = identifier.split(/:(.*)/s) as [string, string];
  return kind === 'email' ? `${kind}:${withDomain(value, prefix)}` : `${kind}:${prefix}${value}`;
}

async function send(events: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch: events }),
  });
  expect(res.status).toBe(200);
}

interface ProfileView {
  profileId: string;
  identifiers: { kind: string; value: string }[];
  traits: Record<string, unknown>;
  timeline: unknown[];
}

async function runCase(testCase: IdentityCase, oneStepAtATime: boolean): Promise<void> {
  const prefix = `r${++run}-`;
  const before = await counts();
  let index = 0;
  const steps = testCase.steps.map((step) => step.map((event) => namespaced(event, prefix, index++)));
  for (const step of steps) {
    await send(step);
    if (oneStepAtATime) await relay.whenIdle();
  }
  const after = await counts();
  expect(after.profiles - before.profiles, 'live profiles').toBe(testCase.expect.profiles);
  for (const [audience, size] of Object.entries(testCase.expect.members)) {
    expect((after.members[audience] ?? 0) - (before.members[audience] ?? 0), `members of ${audience}`).toBe(
      size,
    );
  }
  for (const person of testCase.expect.people) {
    const identifiers = person.identifiers.map((id) => prefixedIdentifier(id, prefix));
    const seen = new Set<string>();
    let found: ProfileView | undefined;
    for (const identifier of identifiers.filter((id) => !id.startsWith('alias:'))) {
      const [kind, value] = identifier.split(/:(.*)/s) as [string, string];
      const res = await admin<ProfileView>(`/profiles?${kind}=${encodeURIComponent(value)}`);
      expect(res.status, `${identifier} resolves to a profile`).toBe(200);
      seen.add(res.body.profileId);
      found = res.body;
    }
    expect([...seen], `${identifiers.join(', ')} resolve to one profile`).toHaveLength(1);
    const profile = found as ProfileView;
    expect(profile.identifiers.map((ref) => `${ref.kind}:${ref.value}`).sort()).toEqual(
      [...identifiers].sort(),
    );
    expect(profile.timeline, 'events of the person').toHaveLength(person.events);
    for (const [trait, value] of Object.entries(person.traits)) {
      const expected = typeof value === 'string' ? withDomain(value, prefix) : value;
      expect(profile.traits[trait], trait).toEqual(expected);
    }
  }
}

describeCaseFiles(
  'identity resolution',
  join(import.meta.dirname, 'cases'),
  (json) => IdentityCase.parse(json),
  async (testCase) => {
    await runCase(testCase, true);
    await runCase(testCase, false);
  },
);
