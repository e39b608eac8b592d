/**
 * Trait oracle: every value of docs/traits.md recomputed from scratch from ALL of a person's events,
 * by simple loops over the whole list. No buckets, no state, no incremental updates: the test's
 * margins keep every event minutes away from window edges, so bucket precision cannot matter
 * (docs/traits.md "Windows and precision"). Independent of src/engine.
 */
import type { Comparison, EventMatcher } from '../../src/mappings/conditions-schema.js';
import type { TraitDefinition } from '../../src/mappings/traits-schema.js';
import { asNumber, compare, matchesEvent, traitAt, valueAtPath } from './conditions-oracle.js';
import type { OracleEvent } from './identity-oracle.js';
import { predict, type ModelFile } from './model-oracle.js';

export const DAY_MS = 86_400_000;

/** What the trait oracle needs besides the events. */
export interface TraitContext {
  traits: Record<string, TraitDefinition>;
  /** Model files by the `file` written in the mapping (parsed JSON, docs/models.md). */
  models: Record<string, ModelFile>;
  /** Per model file, its hash: a model then also publishes `.model` and `.reasons` (docs/models.md). */
  modelHashes?: Record<string, string>;
  allowedLatenessMs: number;
  /** Processing time of the events (lateness, the score's cap); "now" of docs/traits.md "Lateness". */
  processedAt: number;
}

// ---------- helpers for windows and lateness ----------

/** docs/traits.md "Lateness": late when the event time is older than processing time − allowed lateness. */
function isLate(event: OracleEvent, ctx: TraitContext): boolean {
  return event.eventTime < ctx.processedAt - ctx.allowedLatenessMs;
}

/** Matching, on-time events with an event time in (now − window, now]. */
function inWindow(
  events: OracleEvent[],
  matcher: EventMatcher,
  windowMs: number,
  now: number,
  ctx: TraitContext,
) {
  return events.filter(
    (e) => matchesEvent(matcher, e) && !isLate(e, ctx) && e.eventTime > now - windowMs && e.eventTime <= now,
  );
}

/** "values as text: strings as they are, numbers and booleans converted; objects, arrays, null and "" skipped". */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

const round = (value: number, decimals: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
const byTime = (a: OracleEvent, b: OracleEvent) => a.eventTime - b.eventTime || a.seq - b.seq;

// ---------- docs/traits.md "Kinds" (every kind but score and model) ----------

function computeKind(def: TraitDefinition, events: OracleEvent[], now: number, ctx: TraitContext): unknown {
  switch (def.kind) {
    case 'count':
      return inWindow(events, def.match, def.window, now, ctx).length;
    case 'sum': {
      const values = inWindow(events, def.match, def.window, now, ctx).map((e) =>
        asNumber(valueAtPath(e.body, def.property)),
      );
      let sum = 0;
      for (const v of values) if (v !== undefined) sum += v;
      return round(sum, 6);
    }
    case 'min':
    case 'max':
    case 'avg': {
      const values: number[] = [];
      for (const e of inWindow(events, def.match, def.window, now, ctx)) {
        const v = asNumber(valueAtPath(e.body, def.property));
        if (v !== undefined) values.push(v);
      }
      if (values.length === 0) return undefined;
      if (def.kind === 'min') return Math.min(...values);
      if (def.kind === 'max') return Math.max(...values);
      return round(values.reduce((s, v) => s + v, 0) / values.length, 6);
    }
    case 'first':
    case 'last': {
      // By event time; late events included; events without the property (missing or null) skipped.
      const withValue = events
        .filter((e) => matchesEvent(def.match, e))
        .filter(
          (e) =>
            valueAtPath(e.body, def.property) !== undefined && valueAtPath(e.body, def.property) !== null,
        )
        .sort(byTime);
      const chosen = def.kind === 'first' ? withValue[0] : withValue.at(-1);
      return chosen === undefined ? undefined : valueAtPath(chosen.body, def.property);
    }
    case 'most_frequent': {
      const counts = new Map<string, { n: number; lastSeen: number }>();
      for (const e of inWindow(events, def.match, def.window, now, ctx)) {
        const text = asText(valueAtPath(e.body, def.property));
        if (text === undefined) continue;
        const entry = counts.get(text) ?? { n: 0, lastSeen: -Infinity };
        counts.set(text, { n: entry.n + 1, lastSeen: Math.max(entry.lastSeen, e.eventTime) });
      }
      // "ties go to the one seen most recently, then alphabetical"
      const ranked = [...counts.entries()].sort(
        ([ta, a], [tb, b]) => b.n - a.n || b.lastSeen - a.lastSeen || (ta < tb ? -1 : ta > tb ? 1 : 0),
      );
      return ranked[0]?.[0];
    }
    case 'distinct': {
      const lastSeen = new Map<string, number>();
      for (const e of inWindow(events, def.match, def.window, now, ctx)) {
        const text = asText(valueAtPath(e.body, def.property));
        if (text !== undefined) lastSeen.set(text, Math.max(lastSeen.get(text) ?? -Infinity, e.eventTime));
      }
      // "above limit, the most recently seen are kept"; the list is "sorted alphabetically".
      const kept = [...lastSeen.entries()].sort((a, b) => b[1] - a[1]).slice(0, def.limit);
      return kept.map(([text]) => text).sort();
    }
    case 'active_days': {
      // "distinct UTC calendar days with a matching event among the last ceil(window / 1d) days, today included"
      const today = Math.floor(now / DAY_MS);
      const oldest = today - Math.ceil(def.window / DAY_MS) + 1;
      const days = new Set<number>();
      for (const e of events) {
        if (!matchesEvent(def.match, e) || isLate(e, ctx)) continue;
        const day = Math.floor(e.eventTime / DAY_MS);
        if (day >= oldest && day <= today) days.add(day);
      }
      return days.size;
    }
    case 'since': {
      const unit = { seconds: 1e3, minutes: 6e4, hours: 36e5, days: DAY_MS, weeks: 7 * DAY_MS }[def.unit];
      const times = events.filter((e) => matchesEvent(def.match, e)).map((e) => e.eventTime);
      if (times.length === 0) return undefined;
      return Math.max(0, Math.floor((now - Math.max(...times)) / unit));
    }
    case 'rfm': {
      // docs/traits.md "RFM": R from the latest matching event (all time, late included); F and M in the
      // window from on-time events; absent for a profile that never performed the event.
      const all = events.filter((e) => matchesEvent(def.match, e));
      if (all.length === 0) return undefined;
      const days = (now - Math.max(...all.map((e) => e.eventTime))) / DAY_MS;
      // "days since it <= recency_days[0] -> 5, <= [1] -> 4, <= [2] -> 3, <= [3] -> 2, beyond -> 1"
      const r = [5, 4, 3, 2].find((_, i) => days <= (def.recencyDays[i] as number)) ?? 1;
      const windowed = inWindow(events, def.match, def.window, now, ctx);
      let money = 0;
      for (const e of windowed) money += asNumber(valueAtPath(e.body, def.monetary)) ?? 0;
      const score = (value: number, bounds: number[]) => 1 + bounds.filter((b) => value >= b).length;
      const value: Record<string, unknown> = {
        r,
        f: score(windowed.length, def.frequency),
        m: score(money, def.monetaryBounds),
      };
      const tier = def.tiers.find((t) =>
        (['r', 'f', 'm'] as const).every((k) => t[k] === undefined || compare(value[k], t[k] as Comparison)),
      );
      if (tier) value.tier = tier.name;
      return value;
    }
    case 'score':
    case 'model':
      throw new Error(`${def.kind} is computed by its own function`);
  }
}

// ---------- docs/traits.md "Plain traits" ----------

/** Every key of identify `traits` and any event's `context.traits`; latest by event time, then arrival. */
export function plainTraits(events: OracleEvent[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const e of [...events].sort(byTime)) {
    const context = e.body.context as Record<string, unknown> | undefined;
    const contextTraits = context?.traits;
    if (contextTraits && typeof contextTraits === 'object') Object.assign(values, contextTraits);
    // "within one identify, traits wins over context.traits": applied last.
    if (e.type === 'identify' && e.body.traits && typeof e.body.traits === 'object')
      Object.assign(values, e.body.traits);
  }
  return values;
}

/** Plain traits, then every computed kind except score and model (a computed trait shadows a plain one). */
function valuesWithoutScores(
  events: OracleEvent[],
  now: number,
  ctx: TraitContext,
  only?: string,
): Record<string, unknown> {
  const values = plainTraits(events);
  for (const [name, def] of Object.entries(ctx.traits)) {
    if (only !== undefined && name !== only) continue;
    if (def.kind !== 'score' && def.kind !== 'model') values[name] = computeKind(def, events, now, ctx);
  }
  return values;
}

// ---------- docs/traits.md "Score" ----------

interface Award {
  reason: string;
  points: number;
  at: number;
}

function scoreAwards(
  def: Extract<TraitDefinition, { kind: 'score' }>,
  events: OracleEvent[],
  ctx: TraitContext,
): Award[] {
  const awards: Award[] = [];
  const arrival = [...events].sort((a, b) => a.seq - b.seq);
  def.rules.forEach((rule) => {
    let awarded = false;
    let held = false;
    for (let k = 0; k < arrival.length; k++) {
      const event = arrival[k] as OracleEvent;
      let fires: boolean;
      if (rule.when.kind === 'event') {
        fires = matchesEvent(rule.when.match, event);
      } else {
        // "awards when its condition turns from false to true on an event", evaluated after the event
        // updated plain and non-score traits (at processing time), over the events seen so far.
        // (Only the trait the condition names is computed: the other values cannot change its result.)
        const { trait, comparison } = rule.when.condition;
        const name = trait.split('.')[0] as string;
        const values = valuesWithoutScores(arrival.slice(0, k + 1), ctx.processedAt, ctx, name);
        const holds = compare(traitAt(values, trait), comparison);
        fires = holds && !held;
        held = holds;
      }
      if (!fires || (rule.once && awarded)) continue;
      awarded = true;
      // "at the event time, capped at processing time"
      awards.push({
        reason: rule.reason,
        points: rule.points,
        at: Math.min(event.eventTime, ctx.processedAt),
      });
    }
  });
  return awards;
}

/** value(now) = min(max, Σ points × 0.5^((now − t) / half_life)), 2 decimals; reasons rounded, largest first. */
function scoreValue(def: Extract<TraitDefinition, { kind: 'score' }>, awards: Award[], now: number) {
  const perReason = new Map<string, number>();
  for (const award of awards) {
    const decayed = award.points * 0.5 ** ((now - award.at) / def.halfLife);
    perReason.set(award.reason, (perReason.get(award.reason) ?? 0) + decayed);
  }
  let total = 0;
  for (const points of perReason.values()) total += points;
  const score = round(Math.min(def.max ?? Infinity, total), 2);
  const reasons = [...perReason.entries()]
    .map(([reason, points]) => ({ reason, rounded: Math.round(points) }))
    .filter((r) => r.rounded !== 0)
    .sort((a, b) => b.rounded - a.rounded || (a.reason < b.reason ? -1 : 1))
    .map((r) => `${r.rounded > 0 ? '+' : ''}${r.rounded} ${r.reason}`);
  return { score, reasons };
}

// ---------- everything a profile publishes ----------

/** Plain traits, computed traits, `<score>` and `<score>.reasons`, then models in definition order. */
export function traitValues(events: OracleEvent[], now: number, ctx: TraitContext): Record<string, unknown> {
  const values = valuesWithoutScores(events, now, ctx);
  for (const [name, def] of Object.entries(ctx.traits)) {
    if (def.kind !== 'score') continue;
    const { score, reasons } = scoreValue(def, scoreAwards(def, events, ctx), now);
    values[name] = score;
    values[`${name}.reasons`] = reasons;
  }
  for (const [name, def] of Object.entries(ctx.traits)) {
    if (def.kind !== 'model') continue;
    const model = ctx.models[def.file];
    if (!model) throw new Error(`model file ${def.file} not loaded`);
    values[name] = predict(model, values);
    const hash = ctx.modelHashes?.[def.file];
    if (hash === undefined) continue;
    // "a model trait records its file, the file's version (null without one) and hash with each score"
    const version = model.version === undefined ? null : String(model.version);
    values[`${name}.model`] = { file: def.file, version, hash };
    values[`${name}.reasons`] = [
      `scored by ${def.file} (${version === null ? '' : `version ${version}, `}sha256 ${hash})`,
    ];
  }
  return values;
}
