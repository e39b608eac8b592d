import type { ScoreRule, ScoreTrait } from '../../mappings/traits-schema.js';
import { compare } from '../conditions/compare.js';
import { matchesEvent } from '../conditions/match-event.js';
import type { ApplyContext, EngineEvent, TraitKind } from './types.js';

/**
 * Bounded score state: one decayed running sum per reason, all expressed at the instant `ref`.
 * Points p awarded at time t are worth p * 0.5^((now - t) / half_life) at `now`; since that factor
 * multiplies, every sum can be re-based from `ref` to a later instant by one multiplication.
 */
export interface ScoreState {
  ref: number;
  /** Per reason, its decayed points at `ref`. */
  reasons: Record<string, number>;
  /** Per `once` rule (by index), the event time it was awarded at. */
  once: Record<string, number>;
  /** Indexes of trait-condition rules whose condition held at the last apply. */
  holding: number[];
}

export interface ScoreValue {
  /** min(max, decayed total), rounded to 2 decimals. */
  score: number;
  /** Decayed contribution per reason, rounded: "+25 Visited pricing", largest first. */
  reasons: string[];
}

export function decay(elapsedMs: number, halfLifeMs: number): number {
  return Math.pow(0.5, elapsedMs / halfLifeMs);
}

/**
 * Rule points with half-life decay. An event rule awards its points at the event time (capped at
 * processing time, so a future timestamp cannot inflate points). A trait-condition rule awards when its
 * condition turns true at an apply (false -> true), at that event's time. `once` rules award once per profile.
 */
export const scoreKind: TraitKind<ScoreTrait, ScoreState> = {
  init: () => ({ ref: 0, reasons: {}, once: {}, holding: [] }),
  apply(def, state, event, ctx) {
    const at = Math.min(event.eventTime, ctx.now);
    for (let index = 0; index < def.rules.length; index++) {
      const rule = def.rules[index] as ScoreRule;
      if (ruleFires(rule, index, state, event, ctx)) award(def, state, rule, index, at);
    }
    return state;
  },
  merge(def, a, b) {
    const ref = Math.max(a.ref, b.ref);
    rebase(def, a, ref);
    rebase(def, b, ref);
    for (const [reason, points] of Object.entries(b.reasons))
      a.reasons[reason] = (a.reasons[reason] ?? 0) + points;
    for (const [index, at] of Object.entries(b.once)) keepEarlierOnceAward(def, a, Number(index), at);
    for (const index of b.holding) if (!a.holding.includes(index)) a.holding.push(index);
    return a;
  },
  value(def, state, now): ScoreValue {
    const factor = decay(now - state.ref, def.halfLife);
    const contributions = Object.entries(state.reasons).map(([reason, points]) => ({
      reason,
      points: points * factor,
    }));
    const total = contributions.reduce((sum, item) => sum + item.points, 0);
    const score = Math.round(Math.min(def.max ?? Infinity, total) * 100) / 100;
    // Ordered by the points shown (rounded), so two reasons that read the same sort by name.
    const reasons = contributions
      .map((item) => ({ reason: item.reason, shown: Math.round(item.points) }))
      .filter((item) => item.shown !== 0)
      .sort((x, y) => y.shown - x.shown || (x.reason < y.reason ? -1 : 1))
      .map((item) => `${item.shown > 0 ? '+' : ''}${item.shown} ${item.reason}`);
    return { score, reasons };
  },
  nextChangeAt(def, state, now) {
    const total = Object.values(state.reasons).reduce((sum, points) => sum + points, 0);
    const current = total * decay(now - state.ref, def.halfLife);
    const threshold = nextWholeNumberBelow(current, def.max);
    if (total <= 0 || threshold < 1) return undefined;
    const reachedAt = state.ref + def.halfLife * Math.log2(total / threshold);
    return Math.max(Math.ceil(reachedAt), now + 1);
  },
};

/**
 * Best effort for the scheduler: the score decays continuously, so report when its whole-number part
 * next drops (or when a capped score starts to drop below `max`).
 */
function nextWholeNumberBelow(current: number, max: number | undefined): number {
  if (max !== undefined && current > max) return max;
  return Number.isInteger(current) ? current - 1 : Math.floor(current);
}

function ruleFires(
  rule: ScoreRule,
  index: number,
  state: ScoreState,
  event: EngineEvent,
  ctx: ApplyContext,
): boolean {
  if (rule.when.kind === 'event') return matchesEvent(rule.when.match, event);
  const holds = compare(ctx.traits(rule.when.condition.trait), rule.when.condition.comparison);
  const held = state.holding.indexOf(index);
  if (holds && held === -1) {
    state.holding.push(index);
    return true;
  }
  if (!holds && held !== -1) state.holding.splice(held, 1);
  return false;
}

function award(def: ScoreTrait, state: ScoreState, rule: ScoreRule, index: number, at: number): void {
  if (rule.once && state.once[index] !== undefined) return;
  if (rule.once) state.once[index] = at;
  if (at > state.ref) rebase(def, state, at);
  state.reasons[rule.reason] =
    (state.reasons[rule.reason] ?? 0) + rule.points * decay(state.ref - at, def.halfLife);
}

function rebase(def: ScoreTrait, state: ScoreState, ref: number): void {
  if (ref === state.ref) return;
  const factor = decay(ref - state.ref, def.halfLife);
  for (const reason of Object.keys(state.reasons))
    state.reasons[reason] = (state.reasons[reason] as number) * factor;
  state.ref = ref;
}

/** Both profiles were awarded a `once` rule: keep the earlier award, take back the later one's points. */
function keepEarlierOnceAward(def: ScoreTrait, state: ScoreState, index: number, at: number): void {
  const existing = state.once[index];
  const rule = def.rules[index];
  if (existing === undefined || rule === undefined) {
    state.once[index] = at;
    return;
  }
  const later = Math.max(existing, at);
  state.reasons[rule.reason] =
    (state.reasons[rule.reason] ?? 0) - rule.points * decay(state.ref - later, def.halfLife);
  state.once[index] = Math.min(existing, at);
}
