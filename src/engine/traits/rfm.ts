import type { RfmTrait } from '../../mappings/traits-schema.js';
import { asNumber, compare } from '../conditions/compare.js';
import { matchesEvent } from '../conditions/match-event.js';
import { valueAtPath } from '../conditions/path.js';
import type { TraitKind } from './types.js';
import {
  bucketSizeFor,
  bucketStartOf,
  DAY_MS,
  firstLiveIndex,
  mergeBuckets,
  nextBucketExpiry,
  pruneBuckets,
  slotFor,
  takesWindowedEvent,
} from './window.js';

/** `[start, matching events, sum of the monetary property]` */
export type RfmBucket = [number, number, number];

export interface RfmState {
  /** Event time of the latest matching event (all time, lateness does not apply), or null. */
  last: number | null;
  /** Frequency and monetary totals in the window. */
  buckets: RfmBucket[];
}

export interface RfmValue {
  r: number;
  f: number;
  m: number;
  tier?: string;
}

/**
 * Recency from the latest matching event: days since it <= recency_days[0] scores 5, <= [1] 4, ...,
 * beyond [3] 1. Frequency (events in the window) and monetary (sum of the property in the window)
 * score 1 below their first boundary and one more for each boundary reached (>=). The tier is the
 * first whose tests all hold. Undefined for a profile that never performed the event.
 */
export const rfmKind: TraitKind<RfmTrait, RfmState> = {
  init: () => ({ last: null, buckets: [] }),
  apply(def, state, event, ctx) {
    const size = bucketSizeFor(def.window);
    pruneBuckets(state.buckets, ctx.now, def.window, size);
    if (!matchesEvent(def.match, event)) return state;
    if (state.last === null || event.eventTime > state.last) state.last = event.eventTime;
    if (!takesWindowedEvent(event, ctx, def.window, size)) return state;
    const amount = asNumber(valueAtPath(event.body, def.monetary)) ?? 0;
    const start = bucketStartOf(event.eventTime, size);
    const slot = slotFor(state.buckets, start);
    const bucket = state.buckets[slot];
    if (bucket !== undefined && bucket[0] === start) {
      bucket[1] += 1;
      bucket[2] += amount;
    } else {
      state.buckets.splice(slot, 0, [start, 1, amount]);
    }
    return state;
  },
  merge(_def, a, b) {
    const last = a.last === null ? b.last : b.last === null ? a.last : Math.max(a.last, b.last);
    const buckets = mergeBuckets(a.buckets, b.buckets, (into, from) => {
      into[1] += from[1];
      into[2] += from[2];
    });
    return { last, buckets };
  },
  value(def, state, now): RfmValue | undefined {
    if (state.last === null) return undefined;
    const { frequency, monetary } = windowTotals(def, state, now);
    const scores = {
      r: recencyScore(def.recencyDays, (now - state.last) / DAY_MS),
      f: boundaryScore(def.frequency, frequency),
      m: boundaryScore(def.monetaryBounds, monetary),
    };
    const tier = def.tiers.find((candidate) => tierHolds(candidate, scores));
    return tier === undefined ? scores : { ...scores, tier: tier.name };
  },
  nextChangeAt(def, state, now) {
    if (state.last === null) return undefined;
    const expiry = nextBucketExpiry(state.buckets, now, def.window, bucketSizeFor(def.window));
    const recency = nextRecencyStep(def.recencyDays, state.last, now);
    if (expiry === undefined) return recency;
    return recency === undefined ? expiry : Math.min(expiry, recency);
  },
};

function windowTotals(def: RfmTrait, state: RfmState, now: number): { frequency: number; monetary: number } {
  let frequency = 0;
  let monetary = 0;
  const from = firstLiveIndex(state.buckets, now, def.window, bucketSizeFor(def.window));
  for (let i = from; i < state.buckets.length; i++) {
    const bucket = state.buckets[i] as RfmBucket;
    frequency += bucket[1];
    monetary += bucket[2];
  }
  return { frequency, monetary };
}

function recencyScore(boundaries: readonly number[], days: number): number {
  return 5 - boundaries.filter((boundary) => days > boundary).length;
}

function boundaryScore(boundaries: readonly number[], amount: number): number {
  return 1 + boundaries.filter((boundary) => amount >= boundary).length;
}

/** The instant the days since `last` first exceed the next recency boundary. */
function nextRecencyStep(boundaries: readonly number[], last: number, now: number): number | undefined {
  const days = (now - last) / DAY_MS;
  const boundary = boundaries.find((candidate) => candidate >= days);
  return boundary === undefined ? undefined : last + boundary * DAY_MS + 1;
}

function tierHolds(tier: RfmTrait['tiers'][number], scores: { r: number; f: number; m: number }): boolean {
  return (
    (tier.r === undefined || compare(scores.r, tier.r)) &&
    (tier.f === undefined || compare(scores.f, tier.f)) &&
    (tier.m === undefined || compare(scores.m, tier.m))
  );
}
