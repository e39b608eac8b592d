/**
 * Events processed per second: identity, computed traits and audience rules, committed with the
 * outbox, from a backlog already stored. Measured in-process against a fresh SQLite file each time:
 * - identity only (no traits, no audiences): the baseline of this section;
 * - the example mappings' traits (about 20 traits, every kind);
 * - those traits plus 50 audiences (the example audiences, repeated with other thresholds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventProcessor } from '../src/engine/processing/processor.js';
import { buildProcessingSetup } from '../src/engine/processing/setup.js';
import { normalizeEvent } from '../src/ingest/normalize.js';
import { SpecEvent } from '../src/ingest/schemas.js';
import { createLogger } from '../src/lib/logger.js';
import { createMetrics } from '../src/lib/metrics.js';
import { DESTINATIONS } from '../src/destinations/registry.js';
import { loadMappings } from '../src/mappings/load.js';
import type { RelayConfig } from '../src/mappings/schema.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { AudienceDefinition } from '../src/mappings/audiences-schema.js';
import type { BenchSection } from './lib/section.js';
import { formatNumber, renderTable } from './lib/table.js';

const MAPPINGS = fileURLToPath(new URL('../mappings', import.meta.url));
const EVENTS = Number(process.env.BENCH_PROCESSING_EVENTS ?? 30_000);
const USERS = Math.max(1, Math.floor(EVENTS / 15));

interface Row {
  scenario: string;
  traits: number;
  audiences: number;
  eventsPerSecond: number;
  ratio: number;
  outboxRows: number;
}

export const processingSection: BenchSection = {
  key: 'processing',
  title: `event processing (${EVENTS.toLocaleString('en-US')} stored events, ${USERS.toLocaleString('en-US')} people)`,
  run: async () => {
    const loaded = loadMappings(MAPPINGS, {}, DESTINATIONS);
    if (!loaded.ok) throw new Error('example mappings do not load');
    const base = loaded.config;
    const scenarios: [string, RelayConfig][] = [
      ['identity only', { ...base, traits: {}, audiences: {} }],
      ['example traits', { ...base, audiences: {} }],
      ['traits + 50 audiences', { ...base, audiences: fiftyAudiences(base.audiences) }],
    ];
    const rows: Row[] = [];
    for (const [scenario, config] of scenarios) {
      const { eventsPerSecond, outboxRows } = await measure(config);
      const baseline = rows[0]?.eventsPerSecond ?? eventsPerSecond;
      rows.push({
        scenario,
        traits: Object.keys(config.traits).length,
        audiences: Object.keys(config.audiences).length,
        eventsPerSecond,
        ratio: eventsPerSecond / baseline,
        outboxRows,
      });
    }
    process.stdout.write(
      `${renderTable(rows, [
        { title: 'scenario', value: (r) => r.scenario, align: 'left' },
        { title: 'traits', value: (r) => String(r.traits) },
        { title: 'audiences', value: (r) => String(r.audiences) },
        { title: 'events/s', value: (r) => formatNumber(r.eventsPerSecond) },
        { title: 'vs identity only', value: (r) => r.ratio.toFixed(2) },
        { title: 'outbox rows', value: (r) => formatNumber(r.outboxRows) },
      ])}\n`,
    );
    return { events: EVENTS, people: USERS, scenarios: rows };
  },
};

async function measure(config: RelayConfig): Promise<{ eventsPerSecond: number; outboxRows: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-processing-'));
  const store = new SqliteStore({ path: join(dir, 'relay.db') });
  try {
    const now = Date.now();
    await store.appendEvents(syntheticEvents(now));
    const setup = buildProcessingSetup(config, MAPPINGS);
    const processor = new EventProcessor({
      store,
      clock: { now: () => Date.now() },
      metrics: createMetrics(),
      logger: createLogger({ level: 'silent' }),
      setup: () => setup,
      isSettled: () => true,
    });
    const started = process.hrtime.bigint();
    let processed = 0;
    for (let n = await processor.processNextBatch(); n > 0; n = await processor.processNextBatch())
      processed += n;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      eventsPerSecond: processed / seconds,
      outboxRows: (await store.readOutbox(0, 10_000_000)).length,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A realistic mix over the last 30 days: page views (some pricing), product views and adds, orders, identifies. */
function syntheticEvents(now: number) {
  const events = [];
  for (let i = 0; i < EVENTS; i++) {
    const user = i % USERS;
    const timestamp = new Date(now - ((i * 7919) % (30 * 86_400_000))).toISOString();
    const who: Record<string, string> =
      i % 5 === 0 ? { anonymousId: `anon-${user}` } : { userId: `user-${user}`, anonymousId: `anon-${user}` };
    const raw = eventOf(i, user, timestamp, who);
    events.push(normalizeEvent('web', SpecEvent.parse(raw), now));
  }
  return events;
}

function eventOf(i: number, user: number, timestamp: string, who: Record<string, string>) {
  const common = { ...who, messageId: `bench-${i}`, timestamp, context: { page: { path: '/pricing' } } };
  switch (i % 6) {
    case 0:
      return { ...common, type: 'page' };
    case 1:
      return {
        ...common,
        type: 'track',
        event: 'Product Viewed',
        properties: { product_id: `sku-${i % 97}`, category: `c${i % 9}` },
      };
    case 2:
      return {
        ...common,
        type: 'track',
        event: 'Product Added',
        properties: { product_id: `sku-${i % 97}` },
      };
    case 3:
      return { ...common, type: 'track', event: 'Order Completed', properties: { revenue: (i % 300) + 10 } };
    case 4:
      return {
        ...common,
        type: 'identify',
        traits: { email: `user-${user}@example.com`, title: 'VP Sales', plan: 'pro' },
      };
    default:
      return { ...common, type: 'page', context: { page: { path: `/docs/${i % 13}` } } };
  }
}

/** The example audiences, repeated under other names up to 50 (each evaluated on its own). */
function fiftyAudiences(examples: Record<string, AudienceDefinition>): Record<string, AudienceDefinition> {
  const audiences: Record<string, AudienceDefinition> = { ...examples };
  for (let copy = 1; Object.keys(audiences).length < 50; copy++) {
    for (const [name, definition] of Object.entries(examples)) {
      if (Object.keys(audiences).length >= 50) break;
      audiences[`${name}_${copy}`] = definition;
    }
  }
  return audiences;
}
