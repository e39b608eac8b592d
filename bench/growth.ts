/**
 * Growth: does processing slow down or use more memory as the number of profiles grows? For each
 * size (10k and 100k profiles; also 1M with BENCH_GROWTH_MAX=1000000), a child process fills a fresh
 * SQLite file with that many profiles written directly to the store (states copied from a few
 * hundred people built by real processing), then measures, with traits + the example audiences:
 * - the processing rate of a fixed event mix spread over every profile;
 * - the scheduler draining profiles that all become due in the same second;
 * - RSS after both, and the store's size on disk.
 * Figures are compared with the smallest size in the same run (rate at 100k / rate at 10k).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventProcessor } from '../src/engine/processing/processor.js';
import { TimeScheduler } from '../src/engine/processing/scheduler.js';
import { buildProcessingSetup } from '../src/engine/processing/setup.js';
import { normalizeEvent } from '../src/ingest/normalize.js';
import { SpecEvent } from '../src/ingest/schemas.js';
import { createLogger } from '../src/lib/logger.js';
import { createMetrics } from '../src/lib/metrics.js';
import { DESTINATIONS } from '../src/destinations/registry.js';
import { loadMappings } from '../src/mappings/load.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { BenchSection } from './lib/section.js';
import { formatNumber, renderTable } from './lib/table.js';

const MAPPINGS = fileURLToPath(new URL('../mappings', import.meta.url));
const SMOKE = process.env.BENCH_SMOKE === '1';
const MAX = Number(process.env.BENCH_GROWTH_MAX ?? (SMOKE ? 2_000 : 100_000));
const SIZES = (SMOKE ? [1_000, 2_000] : [10_000, 100_000, 1_000_000]).filter((n) => n <= MAX);
const EVENTS = Number(process.env.BENCH_GROWTH_EVENTS ?? (SMOKE ? 600 : 6_000));
/** Profiles made due in the same second (all of them up to this many). */
const DUE = Number(process.env.BENCH_GROWTH_DUE ?? (SMOKE ? 500 : 10_000));
const SEED_PEOPLE = SMOKE ? 100 : 300;

interface SizeFigures {
  profiles: number;
  fillSeconds: number;
  eventsPerSecond: number;
  cpuMicrosPerEvent: number;
  due: number;
  dueSeconds: number;
  duePerSecond: number;
  rssMb: number;
  storeMb: number;
}

interface Row extends SizeFigures {
  rateRatio: number;
  rssRatio: number;
}

export const growthSection: BenchSection = {
  key: 'growth',
  title: `growth (${SIZES.map((n) => n.toLocaleString('en-US')).join(' / ')} profiles, ${EVENTS.toLocaleString('en-US')} events each)`,
  run: async () => {
    const rows: Row[] = [];
    for (const profiles of SIZES) {
      const figures = runChild(profiles);
      const first = rows[0] ?? figures;
      rows.push({
        ...figures,
        rateRatio: figures.eventsPerSecond / first.eventsPerSecond,
        rssRatio: figures.rssMb / first.rssMb,
      });
    }
    process.stdout.write(
      `${renderTable(rows, [
        { title: 'profiles', value: (r) => formatNumber(r.profiles) },
        { title: 'fill s', value: (r) => formatNumber(r.fillSeconds, 1) },
        { title: 'events/s', value: (r) => formatNumber(r.eventsPerSecond) },
        { title: 'rate vs first', value: (r) => r.rateRatio.toFixed(2) },
        { title: 'cpu µs/ev', value: (r) => formatNumber(r.cpuMicrosPerEvent) },
        { title: 'due', value: (r) => formatNumber(r.due) },
        { title: 'due drained s', value: (r) => formatNumber(r.dueSeconds, 2) },
        { title: 'due/s', value: (r) => formatNumber(r.duePerSecond) },
        { title: 'RSS MB', value: (r) => formatNumber(r.rssMb) },
        { title: 'RSS vs first', value: (r) => r.rssRatio.toFixed(2) },
        { title: 'store MB', value: (r) => formatNumber(r.storeMb) },
      ])}\n`,
    );
    return { events: EVENTS, sizes: rows };
  },
};

/** Each size in its own process, so RSS is that size's alone. */
function runChild(profiles: number): SizeFigures {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--child', String(profiles)], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as SizeFigures;
}

async function measureSize(profiles: number): Promise<SizeFigures> {
  const loaded = loadMappings(MAPPINGS, {}, DESTINATIONS);
  if (!loaded.ok) throw new Error('example mappings do not load');
  const setup = buildProcessingSetup(loaded.config, MAPPINGS);
  const dir = mkdtempSync(join(process.env.BENCH_DB_DIR || tmpdir(), 'bench-growth-'));
  const path = join(dir, 'relay.db');
  const store = new SqliteStore({ path });
  let clockNow = Date.now();
  const deps = {
    store,
    clock: { now: () => clockNow },
    metrics: createMetrics(),
    logger: createLogger({ level: 'silent' }),
    setup: () => setup,
    isSettled: () => true,
  };
  const processor = new EventProcessor(deps);
  const drain = async () => {
    let n = 0;
    for (let k = await processor.processNextBatch(); k > 0; k = await processor.processNextBatch()) n += k;
    return n;
  };
  try {
    const fillStarted = Date.now();
    // Seed people through real processing: their states are what the copies carry.
    await store.appendEvents(events(SEED_PEOPLE * 8, (i) => `seed-${i % SEED_PEOPLE}`, clockNow, 'seed'));
    await drain();
    const seedIds = await store.listProfileIds('', SEED_PEOPLE);
    const seeds = await store.loadProfiles(seedIds);
    for (let start = 0; start < profiles; start += 5_000) {
      const end = Math.min(profiles, start + 5_000);
      const rows = [];
      const identifiers = [];
      for (let i = start; i < end; i++) {
        const seed = seeds[i % seeds.length];
        if (seed === undefined) throw new Error('no seed profile');
        const id = `p_growth_${String(i).padStart(8, '0')}`;
        rows.push({ ...seed, id, version: 1, nextWakeAt: null });
        identifiers.push({ kind: 'userId' as const, value: `g-${i}`, profileId: id });
        identifiers.push({ kind: 'anonymousId' as const, value: `ga-${i}`, profileId: id });
      }
      await store.commitProcessing({
        merges: [],
        profiles: rows.map(({ identifiers: _ignored, ...row }) => row),
        identifiers,
        profileEvents: [],
        outbox: [],
        memberships: [],
      });
    }
    const fillSeconds = (Date.now() - fillStarted) / 1000;

    // A fixed event mix over the whole population (a stride that visits people all over the id space).
    await store.appendEvents(events(EVENTS, (i) => `g-${(i * 7_919) % profiles}`, clockNow, 'mix'));
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const processed = await drain();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);

    // Profiles all due in the same second (the copies carry no wake-up of their own).
    const due = Math.min(DUE, profiles);
    const dueIds = [];
    for (let i = 0; i < due; i++)
      dueIds.push(`p_growth_${String(Math.floor((i * profiles) / due)).padStart(8, '0')}`);
    const dueAt = clockNow + 1_000;
    const dueRows = await store.loadProfiles(dueIds);
    await store.commitProcessing({
      merges: [],
      profiles: dueRows.map(({ identifiers: _ignored, ...row }) => ({ ...row, nextWakeAt: dueAt })),
      identifiers: [],
      profileEvents: [],
      outbox: [],
      memberships: [],
    });
    clockNow = dueAt + 500;
    const scheduler = new TimeScheduler(deps);
    const dueStarted = process.hrtime.bigint();
    let woken = 0;
    for (let k = await scheduler.step(); k > 0; k = await scheduler.step()) woken += k;
    const dueSeconds = Number(process.hrtime.bigint() - dueStarted) / 1e9;
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    await store.close();
    const storeMb = fileMb(path) + fileMb(`${path}-wal`);
    return {
      profiles,
      fillSeconds,
      eventsPerSecond: processed / seconds,
      cpuMicrosPerEvent: (used.user + used.system) / processed,
      due: woken,
      dueSeconds,
      duePerSecond: woken / dueSeconds,
      rssMb,
      storeMb,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fileMb(path: string): number {
  try {
    return statSync(path).size / 2 ** 20;
  } catch {
    return 0;
  }
}

/** The processing bench's mix: page views, product views and adds, orders, identifies. */
function events(count: number, userOf: (i: number) => string, now: number, prefix: string) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const userId = userOf(i);
    const timestamp = new Date(now - ((i * 7_919) % (30 * 86_400_000))).toISOString();
    const common = {
      userId,
      messageId: `${prefix}-${i}`,
      timestamp,
      context: { page: { path: '/pricing' } },
    };
    const raw = [
      { ...common, type: 'page' },
      { ...common, type: 'track', event: 'Product Viewed', properties: { product_id: `sku-${i % 97}` } },
      { ...common, type: 'track', event: 'Product Added', properties: { product_id: `sku-${i % 97}` } },
      { ...common, type: 'track', event: 'Order Completed', properties: { revenue: (i % 300) + 10 } },
      { ...common, type: 'identify', traits: { email: `${userId}@example.com`, title: 'VP Sales' } },
      { ...common, type: 'page', context: { page: { path: `/docs/${i % 13}` } } },
    ][i % 6];
    out.push(normalizeEvent('web', SpecEvent.parse(raw), now));
  }
  return out;
}

if (process.argv[2] === '--child') {
  measureSize(Number(process.argv[3]))
    .then((figures) => process.stdout.write(`${JSON.stringify(figures)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    });
}
