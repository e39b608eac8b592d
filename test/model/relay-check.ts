/**
 * Runs a generated stream through the REAL relay process (worker thread, real clock, a fresh SQLite
 * file) and compares every person with the oracle: live profile count, identifiers, timeline, trait
 * values and audience memberships. Returns the mismatches as readable lines.
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { basicAuth, startRelayProcess, WRITE_KEYS, type RelayProcess } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { compareBudget } from './budget-oracle.js';
import { materialize, type SegmentEvent, type StreamItem } from './stream.js';
import {
  oraclePersons,
  personState,
  timelineOf,
  toOracleEvents,
  type OracleConfig,
  type OraclePerson,
} from './oracle.js';

const ADMIN_TOKEN = 'model-test-admin-token-0123456789';
const BATCH = 100;
/** Memberships are stored when evaluated; a decaying score's exit may be applied a little late. */
const MEMBERSHIP_LAG_MS = 150_000;

export interface CheckResult {
  mismatches: string[];
  sent: number;
  stored: number;
  persons: number;
  /** Values or memberships that changed with time during the check (either side accepted). */
  unstable: number;
}

interface ProfileView {
  profileId: string;
  identifiers: { kind: string; value: string }[];
  traits: Record<string, unknown>;
  timeline: { messageId: string }[];
  /** Current memberships (newer relays). */
  memberships?: { audience: string }[];
}

async function admin<T>(url: string, path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const response = await fetch(url + '/admin/api' + path, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

const show = (value: unknown) => (value === undefined ? 'absent' : JSON.stringify(value));

/** Equal, numbers within a relative 1e-6, or (time moved during the check) between the two oracle values. */
function compareValue(path: string, relay: unknown, a: unknown, b: unknown, out: string[]): boolean {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y));
  if (typeof relay === 'number' && typeof a === 'number' && typeof b === 'number') {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    if (close(relay, lo) || close(relay, hi) || (relay >= lo && relay <= hi)) return a !== b;
  } else if (isObject(a) && isObject(relay) && !Array.isArray(a)) {
    let unstable = false;
    const keys = new Set([...Object.keys(a), ...Object.keys(relay), ...(isObject(b) ? Object.keys(b) : [])]);
    for (const key of keys) {
      const bKey = isObject(b) ? b[key] : undefined;
      unstable = compareValue(`${path}.${key}`, relay[key], a[key], bKey, out) || unstable;
    }
    return unstable;
  } else if (Array.isArray(a) && Array.isArray(relay)) {
    if (JSON.stringify(relay) === JSON.stringify(a) || JSON.stringify(relay) === JSON.stringify(b)) {
      return JSON.stringify(a) !== JSON.stringify(b);
    }
  } else if (relay === a || relay === b) {
    return a !== b;
  }
  const oracle = JSON.stringify(a) === JSON.stringify(b) ? show(a) : `${show(a)} .. ${show(b)}`;
  out.push(`trait ${path}: relay ${show(relay)}, oracle ${oracle}`);
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** A relay process of its own with a fresh SQLite file in a fresh directory. */
export interface FreshRelay {
  relay: RelayProcess;
  dir: string;
}

export async function startFreshRelay(mappingsDir: string): Promise<FreshRelay> {
  const dir = makeTempDir('relay-model-');
  try {
    const relay = await startRelayProcess({
      storeUrl: `sqlite:${join(dir, 'relay.sqlite')}`,
      adminToken: ADMIN_TOKEN,
      env: { MAPPINGS_DIR: mappingsDir },
      startTimeoutMs: 60_000, // two relays may start at once on a busy 2-core machine
    });
    return { relay, dir };
  } catch (error) {
    removeTempDir(dir);
    throw error;
  }
}

export async function stopFreshRelay({ relay, dir }: FreshRelay): Promise<void> {
  await relay.stop();
  removeTempDir(dir);
}

/**
 * Hands out fresh relays, starting the next one while the current one is in use (start-up is most of
 * a relay's cost; every seed still gets a process and a store of its own).
 */
export class RelayPool {
  private upcoming: Promise<FreshRelay> | undefined;
  constructor(private readonly mappingsDir: string) {}

  next(): Promise<FreshRelay> {
    const current = this.upcoming ?? startFreshRelay(this.mappingsDir);
    this.upcoming = startFreshRelay(this.mappingsDir);
    this.upcoming.catch(() => undefined); // reported when taken
    return current;
  }

  async close(): Promise<void> {
    const upcoming = this.upcoming;
    this.upcoming = undefined;
    await upcoming?.then(stopFreshRelay).catch(() => undefined);
  }
}

/** Sends `items` (materialized at send time) to a fresh relay, compares with the oracle, stops the relay. */
export async function checkStream(
  items: StreamItem[],
  config: OracleConfig,
  fresh: FreshRelay,
): Promise<CheckResult> {
  const { relay } = fresh;
  try {
    const base = Date.now();
    const sent: SegmentEvent[] = items.map((item) => materialize(item, base));
    for (let i = 0; i < sent.length; i += BATCH) {
      const response = await fetch(`${relay.url}/v1/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
        body: JSON.stringify({ batch: sent.slice(i, i + BATCH) }),
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`POST /v1/batch: ${response.status} ${text}`);
    }
    const tSent = Date.now();
    await waitUntilProcessed(relay.url);
    const tProcessed = Date.now();
    const events = toOracleEvents(sent);
    const persons = oraclePersons(events, config);
    const result: CheckResult = {
      mismatches: [],
      sent: sent.length,
      stored: events.length,
      persons: persons.length,
      unstable: 0,
    };
    await compareWithRelay(relay.url, persons, config, base, result);
    if (process.env.MODEL_TIMING)
      console.log({ send: tSent - base, process: tProcessed - tSent, compare: Date.now() - tProcessed });
    return result;
  } catch (error) {
    throw new Error(`${(error as Error).message}\nrelay stderr: ${relay.stderr().slice(-4000)}`, {
      cause: error,
    });
  } finally {
    await stopFreshRelay(fresh);
  }
}

/** Every request was acknowledged (durable): processing is done once nothing is pending, twice in a row. */
async function waitUntilProcessed(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let idle = 0;
  while (Date.now() < deadline) {
    const { body } = await admin<{ storedSeq: number; processedSeq: number; pending: number }>(
      url,
      '/processing',
    );
    idle = body.pending === 0 && body.processedSeq >= body.storedSeq ? idle + 1 : 0;
    if (idle >= 2) return;
    await delay(100);
  }
  throw new Error('processing did not finish within 120 s');
}

async function compareWithRelay(
  url: string,
  persons: OraclePerson[],
  config: OracleConfig,
  processedAt: number,
  result: CheckResult,
): Promise<void> {
  const out = result.mismatches;
  // (a) live profiles: a preview of a rule that always holds evaluates every live profile once.
  const preview = await admin<{ evaluated: number }>(url, '/audiences/preview', {
    method: 'POST',
    body: JSON.stringify({ rule: { trait: '__model_test_none', exists: false }, sample: 0 }),
  });
  if (preview.body.evaluated !== persons.length)
    out.push(`live profiles: relay ${preview.body.evaluated}, oracle ${persons.length}`);

  // (b) identifiers resolve to one profile with the oracle's identifier set; (e) its timeline;
  // (c) its trait values, against the oracle at the instants before and after the request.
  const relayIdOf = new Map<OraclePerson, string>();
  const lookupOf = new Map<OraclePerson, string>();
  const viewMemberships = new Map<OraclePerson, Set<string>>();
  const owners = new Map<string, OraclePerson>();
  await pool(persons, 6, async (person) => {
    const label = `person [${person.identifiers.join(', ')}]`;
    const ids = new Set<string>();
    let compared = false; // the full comparison is made on the first identifier that resolves
    for (const identifier of person.identifiers) {
      const [kind, ...rest] = identifier.split(':');
      // `alias` identifiers cannot be looked up (GET profiles takes userId, anonymousId or email);
      // they are compared as part of the profile's identifier set.
      if (kind === 'alias') continue;
      const t0 = Date.now();
      const { status, body } = await admin<ProfileView>(
        url,
        `/profiles?${kind}=${encodeURIComponent(rest.join(':'))}`,
      );
      const t1 = Date.now();
      if (status !== 200) {
        out.push(`${label}: ${identifier} resolves to no profile (${status})`);
        continue;
      }
      ids.add(body.profileId);
      if (compared) continue;
      compared = true;
      relayIdOf.set(person, body.profileId);
      lookupOf.set(person, `${kind}=${encodeURIComponent(rest.join(':'))}`);
      if (Array.isArray(body.memberships))
        viewMemberships.set(person, new Set(body.memberships.map((m) => m.audience)));
      const relayIds = body.identifiers.map((ref) => `${ref.kind}:${ref.value}`).sort();
      if (relayIds.join() !== person.identifiers.join())
        out.push(`${label}: relay profile ${body.profileId} has identifiers [${relayIds.join(', ')}]`);
      // The newest 50 events by event time, as sets: the view's display order is not the point here.
      const timeline = body.timeline.map((entry) => entry.messageId).sort();
      const expected = timelineOf(person).sort();
      if (timeline.join() !== expected.join())
        out.push(
          `${label}: timeline has ${timeline.length} events, oracle ${expected.length} (of ${person.events.length}); first difference ${firstDifference(timeline, expected)}`,
        );
      const before = personState(person, config, processedAt, t0).values;
      const after = personState(person, config, processedAt, t1).values;
      const traitOut: string[] = [];
      const names = new Set([...Object.keys(body.traits), ...Object.keys(before), ...Object.keys(after)]);
      for (const name of [...names].sort()) {
        if (compareValue(name, body.traits[name], before[name], after[name], traitOut)) result.unstable++;
      }
      out.push(...traitOut.map((line) => `${label}: ${line}`));
    }
    if (ids.size > 1)
      out.push(`${label}: its identifiers resolve to ${ids.size} profiles: ${[...ids].join(', ')}`);
  });
  for (const [person, id] of relayIdOf) {
    const other = owners.get(id);
    if (other)
      out.push(
        `persons [${other.identifiers.join(', ')}] and [${person.identifiers.join(', ')}] are one relay profile ${id}`,
      );
    owners.set(id, person);
  }

  // (d) audience sizes and memberships, against the oracle before and after reading them.
  const tA = Date.now() - MEMBERSHIP_LAG_MS;
  const sizes = await admin<{ audiences: { name: string; size: number }[] }>(url, '/audiences');
  const members = new Map<string, Set<string>>();
  for (const name of Object.keys(config.audiences)) {
    const { body } = await admin<{ members: string[] }>(url, `/audiences/${name}/members?limit=1000`);
    members.set(name, new Set(body.members));
  }
  const tB = Date.now();
  const low = new Map<string, number>();
  const high = new Map<string, number>();
  for (const person of persons) {
    const a = personState(person, config, processedAt, tA).memberships;
    const b = personState(person, config, processedAt, tB).memberships;
    const relayId = relayIdOf.get(person);
    for (const name of Object.keys(config.audiences)) {
      const [inA, inB] = [a.has(name), b.has(name)];
      low.set(name, (low.get(name) ?? 0) + (inA && inB ? 1 : 0));
      high.set(name, (high.get(name) ?? 0) + (inA || inB ? 1 : 0));
      if (inA !== inB) result.unstable++;
      const inRelay = relayId !== undefined && (members.get(name)?.has(relayId) ?? false);
      if (inA === inB && inRelay !== inA) {
        const why = await explainMembership(url, lookupOf.get(person), name);
        out.push(
          `person [${person.identifiers.join(', ')}]: audience ${name}: relay ${inRelay ? 'member' : 'not a member'}${why}, oracle ${inA ? 'member' : 'not a member'}`,
        );
      }
      // The profile view's memberships (read before tB, after tA) must agree too.
      const inView = viewMemberships.get(person)?.has(name);
      if (inA === inB && inView !== undefined && inView !== inA)
        out.push(
          `person [${person.identifiers.join(', ')}]: audience ${name}: the profile view ${inView ? 'lists' : 'does not list'} it, oracle ${inA ? 'member' : 'not a member'}`,
        );
    }
  }
  for (const { name, size } of sizes.body.audiences) {
    const [lo, hi] = [low.get(name) ?? 0, high.get(name) ?? 0];
    if (size < lo || size > hi)
      out.push(`audience ${name}: size ${size}, oracle ${lo === hi ? lo : `${lo}..${hi}`}`);
  }

  // (f) the budget audiences' running sums: size, mean probability and average order value of an
  // allocation run, against a naive recount over every person's state.
  if (config.budget !== undefined)
    result.unstable += await compareBudget(
      () => admin(url, '/budget/refresh', { method: 'POST' }),
      config,
      (at) => persons.map((person) => personState(person, config, processedAt, at)),
      Math.min(processedAt, Date.now() - MEMBERSHIP_LAG_MS),
      out,
    );
}

/** For a membership mismatch: what the relay's profile state says and whether its rule holds now. */
async function explainMembership(url: string, lookup: string | undefined, audience: string): Promise<string> {
  if (lookup === undefined) return ' (no relay profile)';
  const { status, body } = await admin<{
    profileId: string;
    audiences: { member: boolean; explain?: { holds: boolean } }[];
  }>(url, `/profiles/explain?${lookup}&audience=${audience}`);
  const [entry] = status === 200 ? body.audiences : [];
  if (!entry) return ` (explain: ${status})`;
  return ` (profile ${body.profileId}: state member ${entry.member}, rule holds now ${entry.explain?.holds})`;
}

function firstDifference(a: string[], b: string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `at ${i}: relay ${a[i] ?? '-'}, oracle ${b[i] ?? '-'}`;
  }
  return 'none';
}
