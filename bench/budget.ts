/**
 * Budget: one allocation refresh at 100,000 profiles and 20 budget audiences. The profiles (each a
 * member of 1 to 3 audiences, with a probability and an order value) and the running sums they add up
 * to are written straight into a fresh SQLite store, as processing would have left them. A refresh
 * reads only the sums: the section times it (median and worst of several runs), counts every store
 * call it makes and checks that none reads a profile. The same-run baseline is what a refresh would
 * cost if it recounted the sums by scanning every profile. `BENCH_BUDGET_PROFILES` sets the count.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sumsDeltas, type Contributions } from '../src/engine/budget/contribution.js';
import { BudgetRefresher } from '../src/engine/budget/refresh.js';
import { DESTINATIONS } from '../src/destinations/registry.js';
import { createLogger } from '../src/lib/logger.js';
import { loadMappings } from '../src/mappings/load.js';
import type { RelayConfig } from '../src/mappings/schema.js';
import type { RelayStore } from '../src/store/port.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { BenchFigure, BenchSection } from './lib/section.js';
import { formatNumber, renderTable } from './lib/table.js';

const SMOKE = process.env.BENCH_SMOKE === '1';
const PROFILES = Number(process.env.BENCH_BUDGET_PROFILES ?? (SMOKE ? 2_000 : 100_000));
const AUDIENCES = 20;
const REFRESHES = SMOKE ? 3 : 20;
const CHUNK = 5_000;

/** Store methods that read profiles, memberships or events: a refresh must call none. */
const PROFILE_READS = new Set([
  'loadProfiles',
  'listProfileIds',
  'countProfiles',
  'findProfileIds',
  'dueProfiles',
  'audienceMembers',
  'audienceSizes',
  'membershipsOf',
  'profileEventSeqs',
  'readEventsAfter',
  'readEventsBySeq',
  'readOutbox',
]);

interface BudgetBench {
  profiles: number;
  audiences: number;
  fillSeconds: number;
  refresh: {
    runs: number;
    medianMs: number;
    maxMs: number;
    storeCalls: Record<string, number>;
    profileReads: number;
  };
  scan: { ms: number; profilesRead: number };
}

export const budgetSection: BenchSection = {
  key: 'budget',
  title: `budget (one refresh at ${PROFILES.toLocaleString('en-US')} profiles, ${AUDIENCES} audiences)`,
  run: async (settings) => {
    const dir = mkdtempSync(join(settings.dbDir || tmpdir(), 'bench-budget-'));
    try {
      const result = await measure(dir);
      process.stdout.write(
        `${renderTable(
          [result],
          [
            { title: 'profiles', value: (r) => formatNumber(r.profiles) },
            { title: 'audiences', value: (r) => String(r.audiences) },
            { title: 'fill s', value: (r) => formatNumber(r.fillSeconds, 1) },
            { title: 'refresh median ms', value: (r) => formatNumber(r.refresh.medianMs, 2) },
            { title: 'refresh max ms', value: (r) => formatNumber(r.refresh.maxMs, 2) },
            {
              title: 'store calls/refresh',
              value: (r) => formatNumber(sum(Object.values(r.refresh.storeCalls)) / r.refresh.runs, 1),
            },
            { title: 'profile reads', value: (r) => String(r.refresh.profileReads) },
            { title: 'scan ms (baseline)', value: (r) => formatNumber(r.scan.ms, 1) },
          ],
        )}\n`,
      );
      if (result.refresh.profileReads > 0) throw new Error('a budget refresh read profiles');
      return result;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  figures: (result) => {
    const bench = result as BudgetBench;
    const baseline = 'scan every profile';
    const rows: BenchFigure[] = [
      {
        section: 'budget',
        scenario: baseline,
        unit: 'ms',
        value: bench.scan.ms,
        baseline,
        baselineValue: bench.scan.ms,
        ratio: 1,
      },
      {
        section: 'budget',
        scenario: 'refresh from running sums',
        unit: 'ms',
        value: bench.refresh.medianMs,
        baseline,
        baselineValue: bench.scan.ms,
        ratio: Math.round((bench.refresh.medianMs / bench.scan.ms) * 1000) / 1000,
      },
    ];
    return rows;
  },
};

async function measure(dir: string): Promise<BudgetBench> {
  const config = budgetConfig(join(dir, 'mappings'));
  const store = new SqliteStore({ path: join(dir, 'relay.db') });
  try {
    const fillStarted = Date.now();
    await fill(store);
    const fillSeconds = (Date.now() - fillStarted) / 1000;

    const calls = new Map<string, number>();
    const refresher = new BudgetRefresher({
      store: counting(store, calls),
      clock: { now: () => Date.now() },
      logger: createLogger({ level: 'silent' }),
      config: () => config,
      notify: () => undefined,
    });
    const times: number[] = [];
    for (let i = 0; i < REFRESHES; i++) {
      const started = process.hrtime.bigint();
      const outcome = await refresher.refresh('schedule');
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (outcome.kind !== 'stored') throw new Error(`refresh: ${JSON.stringify(outcome)}`);
      if (outcome.run.run.ranking.reduce((total, r) => total + r.size, 0) === 0)
        throw new Error('empty sums');
    }
    times.sort((a, b) => a - b);
    const scanStarted = process.hrtime.bigint();
    const profilesRead = await scanAll(store);
    const scanMs = Number(process.hrtime.bigint() - scanStarted) / 1e6;
    return {
      profiles: PROFILES,
      audiences: AUDIENCES,
      fillSeconds,
      refresh: {
        runs: REFRESHES,
        medianMs: times[Math.floor(times.length / 2)] ?? NaN,
        maxMs: times.at(-1) ?? NaN,
        storeCalls: Object.fromEntries(calls),
        profileReads: [...calls.keys()].filter((name) => PROFILE_READS.has(name)).length,
      },
      scan: { ms: scanMs, profilesRead },
    };
  } finally {
    await store.close();
  }
}

/** 20 audiences with a probability and an order value trait, ranked by a budget. */
function budgetConfig(mappingsDir: string): RelayConfig {
  mkdirSync(mappingsDir, { recursive: true });
  const names = Array.from({ length: AUDIENCES }, (_, i) => `aud_${String(i + 1).padStart(2, '0')}`);
  const audiences = names
    .map(
      (name) =>
        `  ${name}:\n    rule: { trait: tier, eq: ${name} }\n    value: { probability: p_buy, order_value: order_value }`,
    )
    .join('\n');
  writeFileSync(
    join(mappingsDir, 'budget.yaml'),
    `traits:
  p_buy: { last: { event: Scored, property: properties.p } }
  order_value: { last: { event: Scored, property: properties.order_value } }
audiences:
${audiences}
budget:
  total: 100000
  period: day
  audiences: [${names.join(', ')}]
  min_audience_size: 100
  cap_per_member: 2.0
`,
  );
  const loaded = loadMappings(mappingsDir, {}, DESTINATIONS);
  if (!loaded.ok) throw new Error(`budget bench mappings: ${JSON.stringify(loaded.errors)}`);
  return loaded.config;
}

/** Profiles with their contributions, and the sums they add up to, as processing commits them. */
async function fill(store: SqliteStore): Promise<void> {
  let seed = 42;
  const random = () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647; // Park-Miller
  const now = Date.now();
  for (let start = 0; start < PROFILES; start += CHUNK) {
    const profiles = [];
    const changes: [undefined, Contributions][] = [];
    for (let i = start; i < Math.min(PROFILES, start + CHUNK); i++) {
      const budget: Contributions = {};
      for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
        const audience = `aud_${String(1 + Math.floor(random() * AUDIENCES)).padStart(2, '0')}`;
        budget[audience] = {
          p: random(),
          ...(random() < 0.8 ? { v: Math.round(random() * 50_000) / 100 } : {}),
        };
      }
      changes.push([undefined, budget]);
      const state = {
        computed: {},
        plain: {},
        definitions: {},
        performed: {},
        memberships: {},
        synced: {},
        budget,
      };
      const id = `p_budget_${String(i).padStart(8, '0')}`;
      profiles.push({
        id,
        state: JSON.stringify(state),
        version: 1,
        createdAt: now,
        updatedAt: now,
        nextWakeAt: null,
      });
    }
    await store.commitProcessing({
      merges: [],
      profiles,
      identifiers: [],
      profileEvents: [],
      outbox: [],
      memberships: [],
      budget: sumsDeltas(changes),
    });
  }
}

/** The baseline: every profile read and its contributions added up. */
async function scanAll(store: RelayStore): Promise<number> {
  let read = 0;
  const sums = new Map<string, number>();
  for (let after = ''; ;) {
    const ids = await store.listProfileIds(after, 1_000);
    if (ids.length === 0) return read;
    for (const record of await store.loadProfiles(ids)) {
      const state = JSON.parse(record.state) as { budget?: Contributions };
      for (const [audience, member] of Object.entries(state.budget ?? {}))
        sums.set(audience, (sums.get(audience) ?? 0) + (member.p ?? 0));
      read++;
    }
    after = ids.at(-1) as string;
  }
}

function counting(store: RelayStore, calls: Map<string, number>): RelayStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
