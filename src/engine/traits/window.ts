import type { ApplyContext, EngineEvent } from './types.js';

/**
 * Sliding windows over event time, kept as sparse buckets sorted by start time.
 *
 * Precision: 1-minute buckets for windows up to 7 days, 1-hour up to 90 days, 1-day beyond. A bucket
 * stays in the window until its END leaves it, so an event counts for at least the full window and at
 * most one bucket longer (a 48h count forgets an event 48h to 48h01m after it happened).
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function bucketSizeFor(windowMs: number): number {
  if (windowMs <= 7 * DAY_MS) return MINUTE_MS;
  if (windowMs <= 90 * DAY_MS) return HOUR_MS;
  return DAY_MS;
}

export function bucketStartOf(time: number, size: number): number {
  return Math.floor(time / size) * size;
}

/** Buckets starting at or before this instant have left the window at `now`. */
export function expiredUpTo(now: number, windowMs: number, size: number): number {
  return now - windowMs - size;
}

/** The instant a bucket leaves the window. */
export function bucketExpiresAt(start: number, windowMs: number, size: number): number {
  return start + size + windowMs;
}

/** Older than the allowed lateness: stored, but windowed aggregates skip it. */
export function isTooLate(event: EngineEvent, ctx: ApplyContext): boolean {
  return event.eventTime < ctx.now - ctx.allowedLatenessMs;
}

/** A bucket is a tuple whose first element is its start time (epoch ms). */
export type Bucket = [number, ...unknown[]];

/**
 * Index of the bucket starting at `start`, or where to insert it to keep start order. Events mostly
 * arrive in order, so the search walks back from the newest bucket.
 */
export function slotFor(buckets: readonly Bucket[], start: number): number {
  let index = buckets.length;
  while (index > 0 && (buckets[index - 1] as Bucket)[0] >= start) index--;
  return index;
}

/** Index of the first bucket still in the window at `now` (buckets.length when none). */
export function firstLiveIndex(
  buckets: readonly Bucket[],
  now: number,
  windowMs: number,
  size: number,
): number {
  const cutoff = expiredUpTo(now, windowMs, size);
  let index = 0;
  while (index < buckets.length && (buckets[index] as Bucket)[0] <= cutoff) index++;
  return index;
}

/** Drops the buckets that have left the window at `now`. */
export function pruneBuckets(buckets: Bucket[], now: number, windowMs: number, size: number): void {
  const live = firstLiveIndex(buckets, now, windowMs, size);
  if (live > 0) buckets.splice(0, live);
}

/** Earliest expiry of a live bucket after `now`, if any bucket is live. */
export function nextBucketExpiry(
  buckets: readonly Bucket[],
  now: number,
  windowMs: number,
  size: number,
): number | undefined {
  const oldest = buckets[firstLiveIndex(buckets, now, windowMs, size)];
  return oldest === undefined ? undefined : bucketExpiresAt(oldest[0], windowMs, size);
}

/** Both series in start order; buckets with the same start are combined into the one from `a`. */
export function mergeBuckets<B extends Bucket>(a: B[], b: B[], combine: (into: B, from: B) => void): B[] {
  const merged: B[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const left = a[i];
    const right = b[j];
    if (right === undefined || (left !== undefined && left[0] < right[0])) {
      merged.push(left as B);
      i++;
    } else if (left === undefined || right[0] < left[0]) {
      merged.push(right);
      j++;
    } else {
      combine(left, right);
      merged.push(left);
      i++;
      j++;
    }
  }
  return merged;
}

/**
 * Whether a windowed aggregate takes this event: not older than the allowed lateness, and not already
 * outside the window (a lateness longer than the window would otherwise add an expired bucket).
 */
export function takesWindowedEvent(
  event: EngineEvent,
  ctx: ApplyContext,
  windowMs: number,
  size: number,
): boolean {
  if (isTooLate(event, ctx)) return false;
  return bucketStartOf(event.eventTime, size) > expiredUpTo(ctx.now, windowMs, size);
}
