/**
 * Seeded generator of realistic Segment event streams for the model test (test/model/model.test.ts).
 *
 * Times are generated as ages (ms before a base instant) and only turned into timestamps when a
 * stream is sent (`materialize`), so a stream can be replayed later (shrinking) with every event at
 * the same distance from "now". Every age keeps a margin of minutes from the windows and thresholds
 * of the example mappings (4h, 48h, the 7-day lateness, 30d, 60d, 365d, whole days since an order,
 * trial_ends_at vs now and now + 3d), so nothing flips while a run is checked.
 */
import {
  ageIsSafe,
  DAY,
  HOUR,
  mulberry32,
  MINUTE,
  RANGES,
  type RangeName,
  type SegmentEvent,
  type Stream,
  type StreamItem,
} from './stream.js';

const CATEGORIES = ['shoes', 'hats', 'bags', 'watches', 'jackets', 'socks'];
const PAGES = ['/', '/features', '/docs', '/blog/launch', '/customers', '/about'];
const TITLES = ['Engineer', 'VP Sales', 'Director of Marketing', 'Analyst', 'Founder', 'vp engineering'];
const SOURCES = ['google', 'newsletter', 'linkedin'];
const ELEMENTS = ['signup-button', 'nav-pricing', 'footer-link'];

interface Person {
  index: number;
  uid: string;
  oldUid: string;
  email: string;
  browsers: string[];
  title: string;
  location: 'berlin-store' | 'berlin-far' | 'munich' | 'none';
  /** Taken session intervals [start, end] in ages (start > end: the first event is the oldest). */
  sessions: [number, number][];
  items: Keyed[];
}

/** An item and its arrival key: items are sent sorted by key (a virtual arrival time, ms before base). */
interface Keyed {
  item: StreamItem;
  key: number;
}

export interface GenerateOptions {
  seed: number;
  people?: number;
  /** Prefix of every identifier and messageId; default `s<seed>`. */
  namespace?: string;
}

export function generateStream(options: GenerateOptions): Stream {
  const rng = mulberry32(options.seed);
  const people = options.people ?? 150;
  const ns = options.namespace ?? `s${options.seed}`;
  const chance = (p: number) => rng() < p;
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;
  const between = (lo: number, hi: number) => lo + rng() * (hi - lo);
  let messages = 0;
  const usedAges = new Set<number>();
  const persons: Person[] = [];

  /** Places a session of `gaps.length + 1` events in a free slot of the range; undefined if none. */
  const place = (
    person: Person,
    range: RangeName,
    gaps: number[],
    orderAt: Set<number>,
  ): number[] | undefined => {
    const length = gaps.reduce((sum, gap) => sum + gap, 0);
    for (let attempt = 0; attempt < 60; attempt++) {
      const start = Math.round(between(RANGES[range][0] + length, RANGES[range][1]));
      const ages = [start];
      for (const gap of gaps) ages.push((ages.at(-1) as number) - gap);
      const end = ages.at(-1) as number;
      // 70 minutes between sessions: one session per UTC hour bucket (most_frequent ties stay exact).
      const free = person.sessions.every(([s, e]) => end > s + 70 * MINUTE || start < e - 70 * MINUTE);
      const safe = ages.every((age, i) => ageIsSafe(age, orderAt.has(i)) && !usedAges.has(age));
      if (!free || !safe || end < RANGES[range][0]) continue;
      person.sessions.push([start, end]);
      for (const age of ages) usedAges.add(age);
      return ages;
    }
    return undefined;
  };

  const emailVariant = (email: string) =>
    pick([email, email.toUpperCase(), ` ${email} `, email[0]?.toUpperCase() + email.slice(1)]);

  /** Adds a session (one event per body, ages from `place`) with arrival keys; see below. */
  const session = (
    person: Person,
    range: RangeName,
    bodies: Record<string, unknown>[],
    opts: { orders?: Set<number>; arrival?: 'near' | 'now'; trial?: (number | undefined)[] } = {},
  ) => {
    const gaps = bodies.slice(1).map(() => int(20_000, 240_000));
    const ages = place(person, range, gaps, opts.orders ?? new Set());
    if (!ages) return;
    bodies.forEach((body, i) => {
      const ageMs = ages[i] as number;
      const item: StreamItem = {
        person: person.index,
        ageMs,
        body: { ...body, messageId: `${ns}-m${++messages}` } as SegmentEvent,
      };
      const trial = opts.trial?.[i];
      if (trial !== undefined) {
        item.trialEndsInMs = trial;
        if (chance(0.2)) item.trialAsNumber = true;
      }
      // Late events (older than the lateness) arrive at any time of the last days: an import, a
      // retry queue. On-time events arrive near their event time, shuffled by up to 3 hours.
      const late = ageMs > 7 * DAY || opts.arrival === 'now';
      const key = late ? between(0, 6 * DAY) : Math.max(0, ageMs - between(-3 * HOUR, 3 * HOUR));
      person.items.push({ item, key });
    });
  };

  const context = (person: Person, extra: { campaign?: boolean; location?: boolean } = {}) => {
    const ctx: Record<string, unknown> = {};
    if (extra.campaign) ctx.campaign = { source: pick(SOURCES), medium: 'cpc' };
    if (extra.location && person.location !== 'none') {
      const base = {
        'berlin-store': [52.52, 13.405],
        'berlin-far': [52.535, 13.2],
        munich: [48.137, 11.575],
      }[person.location] as [number, number];
      const lat = base[0] + between(-0.012, 0.012);
      const lon = base[1] + between(-0.012, 0.012);
      ctx.location = chance(0.1)
        ? { latitude: lat.toFixed(5), longitude: lon.toFixed(5) }
        : { latitude: lat, longitude: lon };
    }
    return Object.keys(ctx).length > 0 ? { context: ctx } : {};
  };

  const page = (ids: Record<string, string>, path: string, person: Person, campaign = false) => ({
    type: 'page',
    ...ids,
    name: path === '/pricing' ? 'Pricing' : 'Page',
    properties: { path },
    context: { page: { path }, ...(context(person, { campaign }).context as object) },
  });
  const track = (ids: Record<string, string>, event: string, properties: object, ctx: object = {}) => ({
    type: 'track',
    ...ids,
    event,
    properties,
    ...ctx,
  });

  /** A browsing session on one browser: pages, product views of one category, clicks, maybe a cart. */
  const browse = (person: Person, ids: Record<string, string>, range: RangeName, cart = false) => {
    const category = pick(CATEGORIES);
    const bodies: Record<string, unknown>[] = [];
    const n = int(2, 6);
    for (let i = 0; i < n; i++) {
      const r = rng();
      if (r < 0.3) bodies.push(page(ids, pick(PAGES), person, i === 0 && chance(0.3)));
      else if (r < 0.45) bodies.push(page(ids, '/pricing', person));
      else if (r < 0.8)
        bodies.push(
          track(
            ids,
            'Product Viewed',
            { product_id: `sku-${int(1, 40)}`, category },
            context(person, { campaign: i === 0 && chance(0.3), location: chance(0.4) }),
          ),
        );
      else
        bodies.push(
          track(ids, 'Clicked', { element: pick(ELEMENTS) }, context(person, { location: chance(0.3) })),
        );
    }
    if (cart) bodies.push(track(ids, 'Product Added', { product_id: `sku-${int(1, 40)}`, category }));
    session(person, range, bodies);
  };

  const order = (person: Person, ids: Record<string, string>, range: RangeName, withIdentify: boolean) => {
    const r = rng();
    const revenue = Math.round(between(10, 400) * 100) / 100;
    const properties: Record<string, unknown> = { order_id: `${ns}-o${messages}` };
    if (r < 0.85) properties.revenue = revenue;
    else if (r < 0.97) properties.revenue = revenue.toFixed(2); // a numeric string
    const bodies: Record<string, unknown>[] = [
      track(ids, 'Order Completed', properties, context(person, { location: chance(0.2) })),
    ];
    if (withIdentify)
      bodies.push({
        type: 'identify',
        userId: person.uid,
        traits: { is_customer: chance(0.95) ? true : 'true', plan: 'pro' },
      });
    session(person, range, bodies, { orders: new Set([0]) });
  };

  for (let index = 0; index < people; index++) {
    const browsers = Array.from(
      { length: 1 + (chance(0.5) ? 1 : 0) + (chance(0.25) ? 1 : 0) },
      (_, k) => `${ns}-a${index}b${k}`,
    );
    persons.push({
      index,
      uid: `${ns}-u${index}`,
      oldUid: `${ns}-u${index}old`,
      email: `person${index}.${ns}@example.com`,
      browsers,
      title: pick(TITLES),
      location: pick(['berlin-store', 'berlin-far', 'munich', 'none'] as const),
      sessions: [],
      items: [],
    });
  }

  // Shared devices: q later logs in on p's first browser. Their events can end up on one profile,
  // so a pair shares one session schedule (sessions 70 minutes apart across both people).
  const sharedDevices = new Map<Person, Person>();
  for (const q of persons) {
    const p = persons[int(0, people - 1)];
    if (!p || p === q || !chance(0.05)) continue;
    if ([...sharedDevices].some(([a, b]) => [a, b].includes(p) || [a, b].includes(q))) continue;
    sharedDevices.set(q, p);
    q.sessions = p.sessions;
  }

  for (const person of persons) {
    const [b0, b1, b2] = person.browsers as [string, string | undefined, string | undefined];
    const user = { userId: person.uid };
    const logsIn = chance(0.85);
    const plan = pick(['free', 'trial', 'pro']);
    // Anonymous browsing on the first browser, on time and late.
    for (let s = int(0, 2); s > 0; s--) browse(person, { anonymousId: b0 }, 'recent');
    if (chance(0.3)) browse(person, { anonymousId: b0 }, 'late');
    if (chance(0.15)) browse(person, { anonymousId: b0 }, 'old');
    if (logsIn) {
      // Login: identify with userId + anonymousId and traits, then browsing with the anonymousId only.
      const traits: Record<string, unknown> = {
        email: emailVariant(person.email),
        plan,
        title: person.title,
      };
      if (chance(0.5)) traits.is_customer = false;
      const trialEnds =
        plan === 'trial'
          ? Math.round(pick([between(1, 2.5), between(3.5, 14), between(-5, -0.2)]) * DAY)
          : undefined;
      if (trialEnds !== undefined) traits.trial_ends_at = 'set when sent';
      session(
        person,
        chance(0.15) ? 'late' : 'recent',
        [
          page({ anonymousId: b0 }, '/login', person),
          { type: 'identify', userId: person.uid, anonymousId: b0, traits },
        ],
        { trial: [undefined, trialEnds] },
      );
      for (let s = int(0, 2); s > 0; s--)
        browse(person, chance(0.5) ? { anonymousId: b0 } : { ...user, anonymousId: b0 }, 'recent');
      if (chance(0.2)) browse(person, user, 'recent');
      // A trial extended later: a second identify whose event time decides, not its arrival.
      if (trialEnds !== undefined && chance(0.4)) {
        const later = Math.round(pick([between(1, 2.5), between(3.5, 14)]) * DAY);
        session(
          person,
          'recent',
          [{ type: 'identify', userId: person.uid, traits: { trial_ends_at: 'x' } }],
          { trial: [later] },
        );
      }
      // A second device that logs in too.
      if (b1 && chance(0.4)) {
        browse(person, { anonymousId: b1 }, 'recent');
        session(person, 'recent', [
          { type: 'identify', userId: person.uid, anonymousId: b1, traits: { plan } },
        ]);
      }
    }
    // E-mail merges: two anonymous browsers identify with the same e-mail and no userId.
    if (b1 && b2 && chance(0.5)) {
      for (const browser of [b1, b2]) {
        browse(person, { anonymousId: browser }, 'recent');
        session(person, 'recent', [
          {
            type: 'identify',
            anonymousId: browser,
            context: { traits: { email: emailVariant(person.email) } },
          },
        ]);
      }
    } else if (b1 && !logsIn && chance(0.5)) {
      session(person, 'recent', [
        track(
          { anonymousId: b1 },
          'Clicked',
          { element: 'newsletter' },
          { context: { traits: { email: emailVariant(person.email) } } },
        ),
      ]);
    }
    // Alias: previousId is a browser that never logged in, or an older userId.
    if (logsIn) {
      const aliasOf = b2 && chance(0.5) ? b2 : chance(0.25) ? person.oldUid : undefined;
      if (aliasOf === person.oldUid) {
        const oldTraits: Record<string, unknown> = { plan: 'free' };
        if (chance(0.5)) oldTraits.email = person.email;
        session(person, 'late', [{ type: 'identify', userId: person.oldUid, traits: oldTraits }]);
        session(person, chance(0.5) ? 'recent' : 'old', [
          track({ userId: person.oldUid }, 'Clicked', { element: 'old-app' }),
        ]);
      } else if (aliasOf) {
        browse(person, { anonymousId: aliasOf }, 'recent');
      }
      if (aliasOf) {
        session(person, 'recent', [{ type: 'alias', userId: person.uid, previousId: aliasOf }], {
          arrival: 'now',
        });
        const alias = person.items.at(-1);
        // Sometimes the alias arrives before every event of its previousId.
        if (alias && alias.item.body.type === 'alias' && chance(0.4)) {
          const keys = person.items
            .filter((k) => JSON.stringify(k.item.body).includes(`"${aliasOf}"`) && k !== alias)
            .map((k) => k.key);
          alias.key = Math.max(...keys, 0) + between(1, 3_600_000);
        }
      }
    }
    // Customers: orders now and long ago (all late: they skip F/M and the 365d windowed traits).
    const ids = logsIn ? user : { anonymousId: b0 };
    if (chance(0.4)) {
      for (let n = int(1, 6); n > 0; n--) order(person, ids, 'recent', logsIn && chance(0.3));
      for (let n = int(0, 4); n > 0; n--) order(person, ids, chance(0.5) ? 'late' : 'old', false);
    } else if (chance(0.2)) {
      for (let n = int(1, 4); n > 0; n--) order(person, ids, 'old', false);
    }
    if (chance(0.2)) session(person, 'recent', [track(ids, 'Demo Requested', { seats: int(1, 50) })]);
    // High intent: pricing views in the last 48 hours.
    if (chance(0.3)) {
      const browser = logsIn && chance(0.5) ? { ...user, anonymousId: b0 } : { anonymousId: b0 };
      session(
        person,
        'within48h',
        Array.from({ length: int(2, 6) }, () => page(browser, '/pricing', person)),
      );
    }
    // Carts: added in the last 4 hours (an abandoner unless an order follows), or earlier.
    if (chance(0.2)) {
      browse(person, { anonymousId: b0 }, 'within4h', true);
      if (chance(0.3)) order(person, ids, 'within4h', false);
    } else if (chance(0.15)) browse(person, { anonymousId: b0 }, 'after4h', true);
  }

  for (const [q, p] of sharedDevices) {
    const device = p.browsers[0] as string;
    session(q, 'recent', [
      {
        type: 'identify',
        userId: q.uid,
        anonymousId: device,
        traits: { email: q.email, title: q.title, plan: 'free' },
      },
      page({ anonymousId: device }, '/account', q),
    ]);
  }

  const keyed = persons.flatMap((person) => person.items).sort((a, b) => b.key - a.key);
  const items = keyed.map((k) => k.item);
  // Exact duplicates (same messageId) re-sent later, often in a later request.
  for (let i = items.length - 1; i >= 0; i--) {
    const original = items[i];
    if (!original || !chance(0.03)) continue;
    const at = Math.min(items.length, i + 1 + int(0, 400));
    items.splice(at, 0, { ...original, body: structuredClone(original.body) });
  }
  return { seed: options.seed, people, items };
}
