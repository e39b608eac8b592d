import type { EventMatcher } from '../../mappings/conditions-schema.js';
import { matchesEvent } from '../conditions/match-event.js';
import type { ApplyContext, EngineEvent, TraitKind } from './types.js';
import {
  bucketSizeFor,
  bucketStartOf,
  firstLiveIndex,
  mergeBuckets,
  nextBucketExpiry,
  pruneBuckets,
  takesWindowedEvent,
  slotFor,
  type Bucket,
} from './window.js';

export interface WindowedDefinition {
  match: EventMatcher;
  window: number;
}

/** State of every bucketed kind: `{ buckets: [[start, ...aggregates], ...] }`, oldest first. */
export interface BucketSeries<B extends Bucket> {
  buckets: B[];
}

/** What distinguishes one bucketed kind: what it reads from an event and how buckets aggregate. */
export interface BucketSpec<D extends WindowedDefinition, B extends Bucket, R> {
  /** The reading an event contributes, or undefined to skip it (e.g. a non-numeric property). */
  read(def: D, event: EngineEvent): R | undefined;
  /** A new bucket holding one reading. */
  create(start: number, reading: R): B;
  add(bucket: B, reading: R): void;
  combine(into: B, from: B): void;
  /** The trait value from the live buckets `buckets[from..]`. */
  summarize(def: D, buckets: readonly B[], from: number): unknown;
}

/** A sliding-window kind built on sparse event-time buckets (precision: see window.ts). */
export function bucketedKind<D extends WindowedDefinition, B extends Bucket, R>(
  spec: BucketSpec<D, B, R>,
): TraitKind<D, BucketSeries<B>> {
  return {
    init: () => ({ buckets: [] }),
    apply(def: D, state: BucketSeries<B>, event: EngineEvent, ctx: ApplyContext) {
      const size = bucketSizeFor(def.window);
      pruneBuckets(state.buckets, ctx.now, def.window, size);
      if (!matchesEvent(def.match, event) || !takesWindowedEvent(event, ctx, def.window, size)) return state;
      const reading = spec.read(def, event);
      if (reading === undefined) return state;
      const start = bucketStartOf(event.eventTime, size);
      const slot = slotFor(state.buckets, start);
      const existing = state.buckets[slot];
      if (existing !== undefined && existing[0] === start) spec.add(existing, reading);
      else state.buckets.splice(slot, 0, spec.create(start, reading));
      return state;
    },
    merge: (_def: D, a: BucketSeries<B>, b: BucketSeries<B>) => ({
      buckets: mergeBuckets(a.buckets, b.buckets, spec.combine),
    }),
    value(def: D, state: BucketSeries<B>, now: number) {
      const from = firstLiveIndex(state.buckets, now, def.window, bucketSizeFor(def.window));
      return spec.summarize(def, state.buckets, from);
    },
    nextChangeAt: (def: D, state: BucketSeries<B>, now: number) =>
      nextBucketExpiry(state.buckets, now, def.window, bucketSizeFor(def.window)),
  };
}

/** Sums and averages are rounded to 6 decimals so 19.99 + 10 reads 29.99, not 29.989999999999998. */
export function roundDecimals(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
