import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayEvent } from '../../../src/delivery/destination.js';
import { BudgetRefresher } from '../../../src/engine/budget/refresh.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/logger.js';
import type { RunningRelay } from '../../../src/relay.js';
import type { RelayStore } from '../../../src/store/port.js';
import { startTestRelay } from '../../helpers/in-process-relay.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';
import { identify, SEGMENT_AUDIENCES_YAML, sendEvents, track } from './harness.js';

/**
 * A refresh re-ranks from the running sums alone: memberships and values change, the next refresh
 * ranks differently, and during a refresh the store is asked for no profile, membership or event.
 */

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const clock = new ManualClock(T0);
let root: string;
let relay: RunningRelay;

/** Two audiences by a plain identify trait; the values are the last ones a `Scored` event carried. */
const MAPPINGS = {
  'budget-test.yaml': SEGMENT_AUDIENCES_YAML,
  'budget.yaml': `budget:
  total: 1000
  period: day
  audiences: [seg_a, seg_b]
  min_audience_size: 1
  cap_per_member: 300
`,
};

/** Every store method that reads profiles, memberships or events: none may run during a refresh. */
const PROFILE_READS = [
  'loadProfiles',
  'listProfileIds',
  'countProfiles',
  'findProfileIds',
  'dueProfiles',
  'audienceMembers',
  'audienceSizes',
  'membershipsOf',
  'membershipHistory',
  'profileEventSeqs',
  'readEventsAfter',
  'readEventsBySeq',
  'readOutbox',
];

/** The store, with every method call counted. */
function countingStore(store: RelayStore): { store: RelayStore; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

const send = (...events: Record<string, unknown>[]) => sendEvents(relay.url, clock, ...events);
const segment = (userId: string, value: string) => identify({ userId }, { segment: value });
const scored = (userId: string, properties: Record<string, unknown>) =>
  track({ userId }, 'Scored', properties);

async function refreshCounting() {
  const { store, calls } = countingStore(relay.store);
  const events: RelayEvent[] = [];
  const refresher = new BudgetRefresher({
    store,
    clock,
    logger: createLogger({ level: 'silent' }),
    config: relay.config,
    notify: (event) => events.push(event),
  });
  const outcome = await refresher.refresh('api');
  if (outcome.kind !== 'stored') throw new Error(`no run: ${JSON.stringify(outcome)}`);
  return { run: outcome.run, calls, events };
}

function rankingOf(run: Awaited<ReturnType<typeof refreshCounting>>['run']) {
  return run.run.ranking.map((r) => ({
    audience: r.audience,
    size: r.size,
    meanProbability: Number(r.meanProbability.toFixed(10)),
    averageOrderValue: Number(r.averageOrderValue.toFixed(10)),
  }));
}

beforeAll(async () => {
  root = makeTempDir('relay-budget-refresh-');
  relay = await startTestRelay({ root, clock, mappingFiles: MAPPINGS });
});

afterAll(async () => {
  await relay?.close();
  removeTempDir(root);
});

describe('a refresh re-ranks from the running sums, with no profile scan', () => {
  it('ranks by expected value per member, then re-ranks after memberships and values change', async () => {
    await send(scored('u1', { p: 0.9, order_value: 100 }), segment('u1', 'a'));
    await send(scored('u2', { p: 0.5, order_value: 60 }), segment('u2', 'a'));
    await send(scored('u3', { p: 0.2 }), segment('u3', 'b'));
    await relay.whenIdle();

    const first = await refreshCounting();
    // seg_a: (0.9 + 0.5) / 2 = 0.7 x (100 + 60) / 2 = 80 -> 56 per member; seg_b: 0.2 x 50 = 10.
    expect(rankingOf(first.run)).toEqual([
      { audience: 'seg_a', size: 2, meanProbability: 0.7, averageOrderValue: 80 },
      { audience: 'seg_b', size: 1, meanProbability: 0.2, averageOrderValue: 50 },
    ]);
    // seg_a takes its cap 2 x 300 = 600.00, seg_b the rest, 400.00 (its cap is 300.00: 300.00).
    expect(first.run.run.decisions.map((d) => [d.audience, d.cents, d.reason])).toEqual([
      ['seg_a', 60_000, 'saturated'],
      ['seg_b', 30_000, 'saturated'],
    ]);

    await send(segment('u1', 'b')); // u1 moves to seg_b, keeping p 0.9 and order value 100
    await send(scored('u3', { p: 0.95 })); // u3 changes its value while staying in seg_b
    await relay.whenIdle();

    const second = await refreshCounting();
    // seg_b: (0.9 + 0.95) / 2 = 0.925 x 50 = 46.25; seg_a: u2 alone, 0.5 x 60 = 30.
    expect(rankingOf(second.run)).toEqual([
      { audience: 'seg_b', size: 2, meanProbability: 0.925, averageOrderValue: 50 },
      { audience: 'seg_a', size: 1, meanProbability: 0.5, averageOrderValue: 60 },
    ]);
    expect(second.run.changed).toBe(true);
    expect(second.events.map((event) => event.type)).toEqual(['budget.allocation_changed']);

    for (const { calls } of [first, second]) {
      expect(PROFILE_READS.filter((name) => calls.has(name))).toEqual([]);
      expect(calls.get('budgetSums')).toBe(1);
    }
  });
});
