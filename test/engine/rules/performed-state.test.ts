import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AudienceDefinition } from '../../../src/mappings/audiences-schema.js';
import { Name } from '../../../src/mappings/schema.js';
import type { EngineEvent } from '../../../src/engine/traits/types.js';
import {
  alignPerformed,
  applyEventToPerformed,
  compileAudiences,
  createAudienceRules,
  emptyPerformed,
  evaluateAudiences,
  mergePerformed,
  rebuildPerformed,
  type PerformedState,
} from '../../../src/engine/rules/index.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2024-03-01T00:00:00Z');

const audiences = z.record(Name, AudienceDefinition).parse({
  pricing_3_in_48h: {
    rule: {
      performed: { type: 'page', where: { 'context.page.path': { eq: '/pricing' } } },
      at_least: 3,
      within: '48h',
    },
  },
  pricing_at_most_2_in_48h: {
    rule: {
      performed: { type: 'page', where: { 'context.page.path': { eq: '/pricing' } } },
      at_most: 2,
      within: '48h',
    },
  },
  cart_abandoners: {
    rule: {
      all: [
        { performed: { event: 'Product Added' }, at_least: 1, within: '4h' },
        { performed: { event: 'Order Completed' }, at_most: 0, within: '4h' },
      ],
    },
  },
  two_orders_exactly_in_1d: { rule: { performed: { event: 'Order Completed' }, exactly: 2, within: '1d' } },
  trial_ending: { rule: { trait: 'trial_ends_at', within_next: '3d' } },
  recent_signup: { rule: { trait: 'signed_up_at', within_last: '2d' } },
  either: { rule: { any: [{ audience: 'cart_abandoners' }, { not: { audience: 'pricing_3_in_48h' } }] } },
});
const compiled = compileAudiences(audiences);

function pricingView(eventTime: number, id = `p${eventTime}`): EngineEvent {
  return {
    messageId: id,
    type: 'page',
    eventTime,
    body: { type: 'page', context: { page: { path: '/pricing' } } },
  };
}

function track(event: string, eventTime: number): EngineEvent {
  return {
    messageId: `${event}${eventTime}`,
    type: 'track',
    event,
    eventTime,
    body: { type: 'track', event },
  };
}

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEvents(next: () => number, count: number): { event: EngineEvent; receivedAt: number }[] {
  const names = ['Product Added', 'Order Completed', 'Signed Up'];
  let clock = T0;
  return Array.from({ length: count }, (_, i) => {
    clock += Math.floor(next() * 6 * HOUR);
    const eventTime = clock - Math.floor(next() * 30 * HOUR); // some arrive late, some very late
    const event =
      next() < 0.5
        ? pricingView(eventTime, `v${i}`)
        : track(names[Math.floor(next() * names.length)] as string, eventTime);
    return { event, receivedAt: clock };
  });
}

describe('performed state', () => {
  it('shares one timestamp list between conditions on the same matcher and window, long enough for each', () => {
    const pricing = compiled.performed.filter((spec) => spec.match.type === 'page');
    expect(pricing).toHaveLength(1);
    expect(pricing[0]?.keep).toBe(3);
    const orders = compiled.performed.filter(
      (spec) => spec.match.type === 'track' && spec.match.event === 'Order Completed',
    );
    expect(orders.map((spec) => spec.keep).sort()).toEqual([1, 3]);
    expect(compileAudiences(audiences).performed.map((spec) => spec.key)).toEqual(
      compiled.performed.map((spec) => spec.key),
    );
  });

  it('keeps the newest N timestamps in order, whatever the arrival order', () => {
    const now = T0 + 10 * HOUR;
    let state = emptyPerformed(compiled);
    for (const hour of [5, 1, 9, 3, 7])
      state = applyEventToPerformed(compiled, state, pricingView(T0 + hour * HOUR), now);
    const key = compiled.performed.find((spec) => spec.match.type === 'page')?.key as string;
    expect(state[key]).toEqual([T0 + 5 * HOUR, T0 + 7 * HOUR, T0 + 9 * HOUR]);
  });

  it('merges two profiles as if every event had been one person’s', () => {
    const now = T0 + 20 * HOUR;
    const events = [
      pricingView(T0 + HOUR),
      pricingView(T0 + 2 * HOUR),
      pricingView(T0 + 3 * HOUR),
      track('Product Added', T0 + 19 * HOUR),
    ];
    let a = emptyPerformed(compiled);
    let b = emptyPerformed(compiled);
    events.forEach((event, i) => {
      if (i % 2 === 0) a = applyEventToPerformed(compiled, a, event, now);
      else b = applyEventToPerformed(compiled, b, event, now);
    });
    const merged = mergePerformed(compiled, a, b);
    expect(merged).toEqual(rebuildPerformed(compiled, events, now));
    expect(evaluateAudiences(compiled, { traits: {}, performed: merged, now }).memberships).toMatchObject({
      pricing_3_in_48h: true,
      cart_abandoners: true,
    });
  });

  it('rebuilt from stored events equals the state built live, event by event', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const events = randomEvents(random(seed), 60);
      let live = emptyPerformed(compiled);
      for (const { event, receivedAt } of events)
        live = applyEventToPerformed(compiled, live, event, receivedAt);
      const last = events.at(-1)?.receivedAt ?? T0;
      const shuffled = [...events].reverse().map(({ event }) => event);
      expect(rebuildPerformed(compiled, shuffled, last), `seed ${seed}`).toEqual(live);
    }
  });

  it('aligns a stored state with the configuration: drops unused keys, adds and reports missing ones', () => {
    const [first, ...others] = compiled.performed;
    const stored: PerformedState = { p_gone: [1, 2], [first?.key as string]: [T0] };
    const { state, missing } = alignPerformed(compiled, stored);
    expect(state).toEqual({ ...emptyPerformed(compiled), [first?.key as string]: [T0] });
    expect(missing).toEqual(others.map((spec) => spec.key));
    const rebuilt = rebuildPerformed(compiled, [track('Order Completed', T0)], T0 + HOUR, missing);
    expect(Object.keys(rebuilt)).toEqual(missing);
  });

  it('createAudienceRules binds the same functions to one configuration', () => {
    const rules = createAudienceRules(audiences);
    expect(rules.names).toEqual(Object.keys(audiences));
    const state = rules.applyEvent(rules.emptyPerformed(), track('Product Added', T0), T0);
    expect(rules.evaluate({}, state, T0 + HOUR)).toEqual({
      memberships: {
        pricing_3_in_48h: false,
        pricing_at_most_2_in_48h: true,
        cart_abandoners: true,
        two_orders_exactly_in_1d: false,
        trial_ending: false,
        recent_signup: false,
        either: true,
      },
      nextFlipAt: T0 + 4 * HOUR,
    });
    expect(rules.explain('either', {}, state, T0 + HOUR)?.holds).toBe(true);
  });
});

describe('nextFlipAt', () => {
  it('is never late: no membership changes before the announced instant', () => {
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const next = random(seed);
      const events = randomEvents(next, 40);
      let performed = emptyPerformed(compiled);
      for (const { event, receivedAt } of events)
        performed = applyEventToPerformed(compiled, performed, event, receivedAt);
      let now = events.at(-1)?.receivedAt ?? T0;
      const traits = {
        trial_ends_at: new Date(now + Math.floor(next() * 6 * 24 * HOUR)).toISOString(),
        signed_up_at: now - Math.floor(next() * 3 * 24 * HOUR),
      };
      const evaluate = (at: number) =>
        evaluateAudiences(compiled, { traits, performed, now: at }).memberships;
      const end = now + 5 * 24 * HOUR;
      let current = evaluateAudiences(compiled, { traits, performed, now });
      // Between announced instants nothing may change: sample every minute and the last millisecond.
      for (let flips = 0; flips < 100; flips++) {
        const until = Math.min(current.nextFlipAt ?? end, end);
        for (let at = now + 60_000; at < until; at += 60_000) {
          expect(evaluate(at), `seed ${seed} at ${new Date(at).toISOString()}`).toEqual(current.memberships);
        }
        expect(evaluate(until - 1), `seed ${seed} just before a flip`).toEqual(current.memberships);
        if (current.nextFlipAt === undefined || current.nextFlipAt >= end) break;
        expect(current.nextFlipAt).toBeGreaterThan(now);
        now = current.nextFlipAt;
        current = evaluateAudiences(compiled, { traits, performed, now });
      }
    }
  });
});
