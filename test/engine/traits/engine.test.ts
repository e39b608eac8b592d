import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadModelFile } from '../../../src/engine/models/load.js';
import {
  createTraitEngine,
  traitDependencies,
  type EngineEvent,
  type ProfileTraits,
} from '../../../src/engine/traits/engine.js';
import { loadMappings } from '../../../src/mappings/load.js';
import { Name } from '../../../src/mappings/schema.js';
import { TraitDefinition } from '../../../src/mappings/traits-schema.js';
import { DESTINATIONS } from '../../../src/destinations/registry.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const DAY = 86_400_000;
const START = Date.parse('2024-01-01T00:00:00Z');
const options = { loadModel: (file: string) => loadModelFile(join(repoRoot, file)) };

/** Every event-driven kind; trait-condition score rules are left out (they depend on a profile's own traits). */
const definitions = z.record(Name, TraitDefinition).parse({
  views_2h: { count: { event: 'Product Viewed', window: '2h' } },
  pricing_48h: { count: { type: 'page', where: { 'context.page.path': { eq: '/pricing' } }, window: '48h' } },
  orders_365d: { count: { event: 'Order Completed', window: '365d' } },
  revenue_30d: { sum: { event: 'Order Completed', property: 'properties.revenue', window: '30d' } },
  avg_order: { avg: { event: 'Order Completed', property: 'properties.revenue', window: '365d' } },
  min_order: { min: { event: 'Order Completed', property: 'properties.revenue', window: '120d' } },
  max_order: { max: { event: 'Order Completed', property: 'properties.revenue', window: '7d' } },
  first_source: { first: { event: '*', property: 'context.campaign.source' } },
  last_product: { last: { event: 'Product Viewed', property: 'properties.product_id' } },
  favourite: { most_frequent: { event: 'Product Viewed', property: 'properties.category', window: '30d' } },
  categories: {
    distinct: { event: 'Product Viewed', property: 'properties.category', window: '30d', limit: 3 },
  },
  active_days: { active_days: { event: '*', window: '30d' } },
  since_order: { since: { event: 'Order Completed', unit: 'hours' } },
  rfm: {
    rfm: {
      event: 'Order Completed',
      monetary: 'properties.revenue',
      window: '365d',
      recency_days: [7, 30, 60, 120],
      frequency: [1, 2, 4, 8],
      monetary_bounds: [50, 200, 500, 1000],
      tiers: { champions: { r: '>=4', f: '>=4' }, other: {} },
    },
  },
  lead: {
    score: {
      half_life: '14d',
      max: 300,
      rules: [
        {
          points: 25,
          reason: 'Visited pricing',
          when: { type: 'page', where: { 'context.page.path': { eq: '/pricing' } } },
        },
        { points: 40, reason: 'Ordered', when: { event: 'Order Completed' }, once: true },
        {
          points: -5,
          reason: 'Viewed docs',
          when: { type: 'page', where: { 'context.page.path': { eq: '/docs' } } },
        },
      ],
    },
  },
});

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Arrival {
  event: EngineEvent;
  now: number;
}

/** Events over ~200 days, arriving in time order, some late (up to 10 days: past the 7d lateness). */
function arrivals(seed: number, count: number): Arrival[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const result: Arrival[] = [];
  let now = START;
  for (let i = 0; i < count; i++) {
    now += Math.floor(next() * (200 * DAY)) / count;
    const late = next() < 0.1 ? Math.floor(next() * 10 * DAY) : Math.floor(next() * 60_000);
    const eventTime = now - late;
    const kind = pick(['view', 'view', 'view', 'order', 'pricing', 'docs', 'campaign']);
    const body: Record<string, unknown> = {
      messageId: `m${i}`,
      timestamp: new Date(eventTime).toISOString(),
    };
    const event: EngineEvent = { messageId: `m${i}`, type: 'track', eventTime, body };
    if (kind === 'view') {
      event.event = 'Product Viewed';
      body.properties = { category: pick(['shoes', 'bags', 'hats', 'socks', 'belts']), product_id: `p${i}` };
    } else if (kind === 'order') {
      event.event = 'Order Completed';
      body.properties = { revenue: Math.round(next() * 50000) / 100 };
    } else if (kind === 'campaign') {
      event.event = 'Signed In';
      body.context = { campaign: { source: `source-${i}` } };
    } else {
      event.type = 'page';
      body.context = { page: { path: kind === 'pricing' ? '/pricing' : '/docs' } };
    }
    result.push({ event, now });
  }
  return result;
}

function replay(engine: ReturnType<typeof createTraitEngine>, items: readonly Arrival[]): ProfileTraits {
  let state = engine.emptyState();
  for (const { event, now } of items)
    state = engine.applyEvent(state, event, { now, allowedLatenessMs: 7 * DAY });
  return state;
}

/** Sums are added in another order after a merge: equal up to rounding. */
function expectClose(actual: unknown, expected: unknown, path: string): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), path).toBeLessThan(1e-6 * Math.max(1, Math.abs(expected)) + 0.011);
  } else if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    for (const key of Object.keys(expected)) {
      expectClose(
        (actual as Record<string, unknown>)[key],
        (expected as Record<string, unknown>)[key],
        `${path}.${key}`,
      );
    }
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('trait engine', () => {
  it('merging two profiles gives the values of one profile that saw every event', () => {
    const engine = createTraitEngine(definitions, options);
    for (const seed of [1, 2, 3, 4, 5]) {
      const all = arrivals(seed, 600);
      const pick = random(seed * 7919);
      const side = all.map(() => pick() < 0.5);
      const merged = engine.merge(
        replay(
          engine,
          all.filter((_, i) => side[i]),
        ),
        replay(
          engine,
          all.filter((_, i) => !side[i]),
        ),
      );
      const single = replay(engine, all);
      const end = (all.at(-1) as Arrival).now;
      for (const at of [end, end + DAY, end + 40 * DAY]) {
        expectClose(engine.values(merged, at), engine.values(single, at), `seed ${seed} at ${at}`);
        expect(engine.nextChangeAt(merged, at), `seed ${seed}`).toBe(engine.nextChangeAt(single, at));
      }
    }
  });

  it('keeps state as plain JSON whose round trip gives the same values', () => {
    const engine = createTraitEngine(definitions, options);
    const items = arrivals(11, 500);
    const state = replay(engine, items);
    const end = (items.at(-1) as Arrival).now;
    const copy = JSON.parse(JSON.stringify(state)) as ProfileTraits;
    expect(copy).toEqual(state);
    expect(engine.values(copy, end)).toEqual(engine.values(state, end));
  });

  it('keeps bounded state: buckets only inside each window (plus lateness), distinct values capped', () => {
    const engine = createTraitEngine(definitions, options);
    const state = replay(engine, arrivals(12, 5000));
    const views = state.computed.views_2h as { buckets: unknown[] };
    const categories = state.computed.categories as { seen: Record<string, number> };
    expect(views.buckets.length).toBeLessThanOrEqual(2 * 60 + 1);
    expect(Object.keys(categories.seen).length).toBeLessThanOrEqual(3);
    const favourite = state.computed.favourite as { buckets: unknown[] };
    expect(favourite.buckets.length).toBeLessThanOrEqual((30 + 7) * 24 + 1);
  });

  it('changes and returns the state it is given (documented), and starts empty', () => {
    const engine = createTraitEngine(definitions, options);
    const state = engine.emptyState();
    const [first] = arrivals(13, 1);
    const result = engine.applyEvent(state, (first as Arrival).event, {
      now: (first as Arrival).now,
      allowedLatenessMs: DAY,
    });
    expect(result).toBe(state);
    expect(engine.names).toEqual(Object.keys(definitions));
    expect(engine.values(engine.emptyState(), START)).toMatchObject({
      views_2h: 0,
      lead: 0,
      'lead.reasons': [],
      rfm: undefined,
    });
  });

  // Speed is measured by `npm run bench` (processing section), never asserted here.
  it('computes the example mappings, model included, over a long run of events (~20 traits)', () => {
    const loaded = loadMappings(join(repoRoot, 'mappings'), {}, DESTINATIONS);
    if (!loaded.ok) throw new Error('mappings/ does not load');
    const traits = { ...loaded.config.traits, ...definitions };
    const engine = createTraitEngine(traits, options);
    expect(Object.keys(traits).length).toBeGreaterThanOrEqual(20);
    const items = arrivals(14, 20_000);
    replay(engine, items.slice(0, 2000));
    const state = replay(engine, items);
    const values = engine.values(state, (items.at(-1) as Arrival).now);
    expect(values.p_convert).toBeGreaterThan(0);
    expect(values.p_convert).toBeLessThan(1);
  });

  it('names the traits a score reads through its trait conditions', () => {
    const score = TraitDefinition.parse({
      score: {
        half_life: '7d',
        rules: [
          { points: 1, reason: 'a', when: { trait: 'rfm.tier', eq: 'champions' } },
          { points: 1, reason: 'b', when: { trait: 'title', matches: 'vp' } },
          { points: 1, reason: 'c', when: { trait: 'rfm.r', gte: 4 } },
          { points: 1, reason: 'd', when: { event: 'A' } },
        ],
      },
    });
    expect(traitDependencies(score)).toEqual(['rfm', 'title']);
    expect(traitDependencies(definitions.orders_365d as TraitDefinition)).toEqual([]);
  });
});
