/**
 * The reference model checked by hand: the identity cases of docs/processing.md "Identity and merges"
 * and trait / audience values worked out on paper from docs/traits.md, docs/models.md and
 * docs/audiences.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAPPINGS_DIR, REPO_ROOT } from '../helpers/relay-process.js';
import { generateStream } from './generate.js';
import { DAY, HOUR, materialize, MINUTE } from './stream.js';
import { IdentityOracle, type OracleEvent } from './identity-oracle.js';
import { loadOracleConfig, oraclePersons, personState, toOracleEvents, type OracleConfig } from './oracle.js';
import { predict, type ModelFile } from './model-oracle.js';

const NOW = Date.UTC(2025, 5, 15, 12, 0, 0);
let counter = 0;

/** A Segment event `ageMs` before NOW. */
function ev(fields: Record<string, unknown>, ageMs = (counter + 1) * MINUTE): Record<string, unknown> {
  counter++;
  return { messageId: `m${counter}`, timestamp: new Date(NOW - ageMs).toISOString(), ...fields };
}
const track = (ids: object, event: string, properties: object = {}, age?: number) =>
  ev({ type: 'track', ...ids, event, properties }, age);
const page = (ids: object, path: string, age?: number) =>
  ev({ type: 'page', ...ids, name: path, context: { page: { path } } }, age);
const identify = (ids: object, traits: object = {}, age?: number) =>
  ev({ type: 'identify', ...ids, traits }, age);
const alias = (userId: string, previousId: string, age?: number) =>
  ev({ type: 'alias', userId, previousId }, age);

let config: OracleConfig;
beforeAll(() => {
  config = loadOracleConfig(MAPPINGS_DIR);
});

function persons(sent: Record<string, unknown>[]) {
  return oraclePersons(toOracleEvents(sent), config);
}
const idsOf = (sent: Record<string, unknown>[]) => persons(sent).map((p) => p.identifiers);

describe('identity oracle: docs/processing.md "Identity and merges"', () => {
  it('(i) anonymous browsing, login, browsing after login and a userId-only event are one person', () => {
    const sent = [
      track({ anonymousId: 'a1' }, 'Clicked'),
      identify({ userId: 'u1', anonymousId: 'a1' }),
      track({ anonymousId: 'a1' }, 'Clicked'),
      track({ userId: 'u1' }, 'Clicked'),
    ];
    const [person, ...others] = persons(sent);
    expect(others).toEqual([]);
    expect(person?.identifiers).toEqual(['anonymousId:a1', 'userId:u1']);
    expect(person?.events.map((e) => e.messageId)).toEqual(sent.map((e) => e.messageId));
  });

  it('(ii) an alias processed before any event of its previousId still merges them', () => {
    // Nobody owns a9: the target keeps it as an `alias`, and claims it in its real kind later.
    expect(idsOf([alias('u1', 'a9')])).toEqual([['alias:a9', 'userId:u1']]);
    const later = persons([alias('u1', 'a9'), track({ anonymousId: 'a9' }, 'Clicked')]);
    expect(later.map((p) => p.identifiers)).toEqual([['alias:a9', 'anonymousId:a9', 'userId:u1']]);
    expect(later[0]?.events).toHaveLength(2);
    // previousId an older userId that shows up later: the alias counts as one of the profile's userIds.
    expect(
      idsOf([alias('u1', 'u0'), identify({ userId: 'u0' }), track({ userId: 'u1' }, 'Clicked')]),
    ).toEqual([['alias:u0', 'userId:u0', 'userId:u1']]);
    // ... so another userId on a device of that profile is a different person (rule 1).
    expect(
      idsOf([
        alias('u1', 'x'),
        identify({ userId: 'x', anonymousId: 'a' }),
        identify({ userId: 'u2', anonymousId: 'a' }),
      ]),
    ).toEqual([['alias:x', 'anonymousId:a', 'userId:u1', 'userId:x'], ['userId:u2']]);
    // an earlier alias of the same previousId is merged too
    expect(idsOf([alias('u1', 'x'), alias('u2', 'x')])).toEqual([['alias:x', 'userId:u1', 'userId:u2']]);
  });

  it('(iii) an alias joins two userIds, whether or not the new userId has a profile', () => {
    const oracle = new IdentityOracle(config.identifiers);
    const events = toOracleEvents([
      identify({ userId: 'u0' }),
      identify({ userId: 'u1' }),
      alias('u1', 'u0'),
    ]);
    const u0 = oracle.apply(events[0] as OracleEvent);
    const u1 = oracle.apply(events[1] as OracleEvent);
    const survivor = oracle.apply(events[2] as OracleEvent);
    expect(survivor).toBe(u1); // "U0 merged into U1" and "a merge keeps the target's profile id"
    expect(u0?.mergedInto).toBe(u1?.id);
    expect(oracle.live().map((p) => [...p.identifiers].sort())).toEqual([['userId:u0', 'userId:u1']]);

    const unknown = new IdentityOracle(config.identifiers);
    const later = toOracleEvents([
      identify({ userId: 'u0' }),
      alias('u1', 'u0'),
      track({ userId: 'u1' }, 'X'),
    ]);
    const first = unknown.apply(later[0] as OracleEvent);
    expect(unknown.apply(later[1] as OracleEvent)).toBe(first); // "attached to U0, which claims u1"
    expect(unknown.apply(later[2] as OracleEvent)).toBe(first);
    expect(unknown.live()).toHaveLength(1);
  });

  it('follows the other rows of the table', () => {
    // shared device: u2 + a where a belongs to u1's profile -> a new profile for u2, a stays with u1
    const shared = [
      identify({ userId: 'u1', anonymousId: 'a' }),
      identify({ userId: 'u2', anonymousId: 'a' }),
    ];
    expect(idsOf([...shared, track({ anonymousId: 'a' }, 'X')])).toEqual([
      ['anonymousId:a', 'userId:u1'],
      ['userId:u2'],
    ]);
    expect(persons([...shared, track({ anonymousId: 'a' }, 'X')])[0]?.events).toHaveLength(2);
    // u2 + a where u2 belongs to Q: attached to Q, no merge
    expect(idsOf([...shared, identify({ userId: 'u2', anonymousId: 'a' })])).toHaveLength(2);
    // e + a: e on anonymous A, a on anonymous B -> B merged into A
    const emailMerge = [
      identify({ anonymousId: 'a1' }, { email: 'Ada@Example.com ' }),
      track({ anonymousId: 'a2' }, 'X'),
      ev({ type: 'identify', anonymousId: 'a2', context: { traits: { email: 'ada@example.com' } } }),
    ];
    expect(idsOf(emailMerge)).toEqual([['anonymousId:a1', 'anonymousId:a2', 'email:ada@example.com']]);
    // e + a: e on A (no userId), a on P with u1 -> P merged into A, which now has u1
    expect(
      idsOf([
        identify({ anonymousId: 'a1' }, { email: 'e@x.io' }),
        identify({ userId: 'u1', anonymousId: 'a2' }),
        identify({ anonymousId: 'a2' }, { email: 'e@x.io' }),
      ]),
    ).toEqual([['anonymousId:a1', 'anonymousId:a2', 'email:e@x.io', 'userId:u1']]);
    // u2 + e where e belongs to P with u1 -> attached to u2's new profile; e stays with P
    expect(
      idsOf([
        identify({ userId: 'u1' }, { email: 'e@x.io' }),
        identify({ userId: 'u2' }, { email: 'e@x.io' }),
      ]),
    ).toEqual([['email:e@x.io', 'userId:u1'], ['userId:u2']]);
    // alias previousId a, userId u1: a on A, u1 unknown -> attached to A, which claims u1
    const [anonymous] = persons([track({ anonymousId: 'a' }, 'X'), alias('u1', 'a')]);
    expect(anonymous?.identifiers).toEqual(['anonymousId:a', 'userId:u1']);
    expect(anonymous?.events).toHaveLength(2);
    // u1 + a: a on anonymous A, u1 unknown -> attached to A, which claims u1
    expect(idsOf([track({ anonymousId: 'a' }, 'X'), identify({ userId: 'u1', anonymousId: 'a' })])).toEqual([
      ['anonymousId:a', 'userId:u1'],
    ]);
  });

  it('(iv) leaves no orphan: every event on exactly one live profile, every identifier owned once', () => {
    const stream = generateStream({ seed: 7, people: 60 });
    const events = toOracleEvents(stream.items.map((item) => materialize(item, NOW)));
    const oracle = new IdentityOracle(config.identifiers);
    for (const event of events) oracle.apply(event);
    const live = oracle.live();
    const attached = live.flatMap((p) => p.events.map((e) => e.messageId));
    expect(new Set(attached).size).toBe(attached.length);
    expect(attached.sort()).toEqual(events.map((e) => e.messageId).sort());
    const owned = live.flatMap((p) => [...p.identifiers]);
    expect(new Set(owned).size).toBe(owned.length);
    for (const profile of live) {
      expect(profile.identifiers.size).toBeGreaterThan(0);
      expect(profile.events.length).toBeGreaterThan(0);
      for (const id of profile.identifiers) expect(oracle.ownerOf(id)).toBe(profile);
    }
    expect(oracle.profiles.filter((p) => p.mergedInto === undefined && p.events.length === 0)).toEqual([]);
  });
});

describe('trait and audience oracle: values worked out by hand', () => {
  const state = (sent: Record<string, unknown>[]) => {
    const [person] = persons(sent);
    if (!person) throw new Error('no person');
    return personState(person, config, NOW, NOW);
  };

  it('windows, lateness, RFM and since', () => {
    const u = { userId: 'u1' };
    const { values } = state([
      track(u, 'Order Completed', { revenue: 300 }, 2.5 * DAY),
      track(u, 'Order Completed', { revenue: '250.5' }, 3.5 * DAY),
      track(u, 'Order Completed', { revenue: 1000 }, 40.5 * DAY), // late: skips windows, not R / since
      track(u, 'Product Viewed', { category: 'shoes', product_id: 'p1' }, 3 * HOUR),
      track(u, 'Product Viewed', { category: 'hats', product_id: 'p2' }, 2 * HOUR),
      track(u, 'Product Viewed', { category: 'socks', product_id: 'p3' }, 20 * DAY), // late
    ]);
    expect(values).toMatchObject({
      orders_365d: 2,
      revenue_365d: 550.5,
      avg_order_value: 275.25,
      smallest_order_365d: 250.5,
      largest_order_365d: 300,
      days_since_last_purchase: 2,
      // R: 2.5 days <= 7 -> 5; F: 2 orders -> 3; M: 550.5 >= 500 -> 4; no tier but "other" holds
      rfm: { r: 5, f: 3, m: 4, tier: 'other' },
      favourite_category: 'hats', // 1 - 1 tie: the most recently seen
      viewed_categories: ['hats', 'shoes'],
      last_viewed_product: 'p2',
      active_days_30d: 3, // today, 2.5 and 3.5 days ago (three UTC dates)
    });
  });

  it('score decay, reasons and a once trait rule', () => {
    const { values } = state([
      page({ anonymousId: 'a' }, '/pricing', 14 * DAY), // 25 -> 12.5
      page({ anonymousId: 'a' }, '/pricing', 28 * DAY), // 25 -> 6.25
      identify({ anonymousId: 'a' }, { title: 'VP Sales' }, 14 * DAY), // once: 10 -> 5
      identify({ anonymousId: 'a' }, { title: 'Director' }, 7 * DAY), // still holds: no second award
    ]);
    expect(values.lead_score).toBe(23.75);
    expect(values['lead_score.reasons']).toEqual(['+19 Visited pricing', '+5 Director title']);
    expect(values.title).toBe('Director');
  });

  it('plain traits: latest by event time, not by arrival', () => {
    const { values } = state([
      identify({ userId: 'u' }, { plan: 'pro' }, 1 * DAY),
      identify({ userId: 'u' }, { plan: 'free' }, 2 * DAY),
    ]);
    expect(values.plan).toBe('pro');
  });

  it('models: the example trees and logistic files for a profile with no activity', () => {
    const values = { pricing_views_48h: 0, orders_365d: 0, active_days_30d: 0, lead_score: 0 };
    // trees: -0.19 (lead < 50.5, views < 1.5) - 0.16 (since missing -> node 2, days < 4.5) - 0.14
    const logit = Math.log(0.08 / 0.92) - 0.19 - 0.16 - 0.14;
    const trees = JSON.parse(readFileSync(join(REPO_ROOT, 'models/p_convert.json'), 'utf8')) as ModelFile;
    expect(predict(trees, values)).toBeCloseTo(1 / (1 + Math.exp(-logit)), 12);
    // logistic: -2.6 + 0.6 x (0 - 32) / 24 - 0.45 x (ln 731 - 4.6) / 1.3 (the doc's 1.534)
    const z = -2.6 + (0.6 * (0 - 32)) / 24 - (0.45 * (Math.log(731) - 4.6)) / 1.3;
    const logistic = JSON.parse(
      readFileSync(join(REPO_ROOT, 'models/p_convert_logistic.json'), 'utf8'),
    ) as ModelFile;
    expect(predict(logistic, values)).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
  });

  it('audiences', () => {
    const u = { userId: 'u1' };
    const views = [1, 2, 3, 5].map((h) => page(u, '/pricing', h * HOUR));
    expect([...state([...views, track(u, 'Product Added', {}, 1 * HOUR)]).memberships].sort()).toEqual([
      'cart_abandoners',
      'high_intent',
    ]);
    const customer = [
      ...views,
      identify(u, { is_customer: true }),
      track(u, 'Product Added', {}, 1 * HOUR),
      track(u, 'Order Completed', {}, 0.5 * HOUR),
    ];
    expect([...state(customer).memberships]).toEqual([]);
    const trial = (inMs: number) => identify(u, { trial_ends_at: new Date(NOW + inMs).toISOString() });
    expect([...state([trial(2 * DAY)]).memberships]).toEqual(['trial_ending']);
    expect([...state([trial(4 * DAY)]).memberships]).toEqual([]);
    const berlin = track(u, 'Clicked', {}, HOUR);
    berlin.context = { location: { latitude: 52.53, longitude: 13.41 } };
    expect([...state([berlin]).memberships]).toEqual(['near_store']);
    expect([...state([track(u, 'Order Completed', { revenue: 20 }, 61.5 * DAY)]).memberships]).toEqual([
      'no_purchase_60d',
    ]);
  });
});
