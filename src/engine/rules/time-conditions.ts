import type { PerformedBound } from '../../mappings/audiences-schema.js';
import { assertNever } from '../../lib/assert-never.js';
import { asNumber } from '../conditions/compare.js';

/**
 * The conditions time alone changes, as small pure functions shared by evaluation and explain.
 *
 * Windows are half-open on event time: with window W, a timestamp t counts at `now` while
 * `now - W < t`, so it stops counting at exactly `t + W`. A date trait d is within_next W on
 * [d - W, d) and within_last W on [d, d + W).
 */

/** Index of the first timestamp still in the window (`times` ascending); `times.length` when none. */
export function firstInWindow(times: readonly number[], now: number, windowMs: number): number {
  const cutoff = now - windowMs;
  let index = times.length;
  // Walk back from the newest: only the newest few are ever inside the window.
  while (index > 0 && (times[index - 1] as number) > cutoff) index--;
  return index;
}

export function performedHolds(bound: PerformedBound, times: number, count: number): boolean {
  switch (bound) {
    case 'at_least':
      return count >= times;
    case 'at_most':
      return count <= times;
    case 'exactly':
      return count === times;
    default:
      return assertNever(bound, 'performed bound');
  }
}

/**
 * When the condition flips with no new event, given the timestamps in the window (`stored[first..]`,
 * the newest kept ones). Counts only fall with time: at_least can only start failing (when its N-th
 * newest leaves), at_most can only start holding (when its (N+1)-th newest leaves), exactly does both.
 */
export function performedFlipAt(
  bound: PerformedBound,
  times: number,
  stored: readonly number[],
  first: number,
  windowMs: number,
): number | undefined {
  const count = stored.length - first;
  switch (bound) {
    case 'at_least':
      return times > 0 && count >= times ? leavesAt(stored, times, windowMs) : undefined;
    case 'at_most':
      return count > times ? leavesAt(stored, times + 1, windowMs) : undefined;
    case 'exactly':
      if (count > times) return leavesAt(stored, times + 1, windowMs);
      return times > 0 && count === times ? leavesAt(stored, times, windowMs) : undefined;
    default:
      return assertNever(bound, 'performed bound');
  }
}

/** When the n-th newest kept timestamp leaves the window. */
function leavesAt(stored: readonly number[], nthNewest: number, windowMs: number): number {
  return (stored[stored.length - nthNewest] as number) + windowMs;
}

/** A date trait's instant: epoch ms, or an ISO-8601 string (give an offset: else the server's zone). */
export function dateOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (value !== lastDateText) {
    lastDateText = value;
    lastDate = Date.parse(value);
  }
  return Number.isNaN(lastDate) ? undefined : lastDate;
}

// Date.parse costs more than the rest of a condition: the same text is often read several times in a row.
let lastDateText: string | undefined;
let lastDate = Number.NaN;

/** Start of the interval in which a within_next / within_last condition holds. */
export function dateWindowStart(direction: 'next' | 'last', date: number, windowMs: number): number {
  return direction === 'next' ? date - windowMs : date;
}

export function dateHolds(direction: 'next' | 'last', date: number, windowMs: number, now: number): boolean {
  const start = dateWindowStart(direction, date, windowMs);
  return start <= now && now < start + windowMs;
}

/** The next instant after `now` at which the condition enters or leaves its interval. */
export function dateFlipAt(
  direction: 'next' | 'last',
  date: number,
  windowMs: number,
  now: number,
): number | undefined {
  const start = dateWindowStart(direction, date, windowMs);
  if (now < start) return start;
  if (now < start + windowMs) return start + windowMs;
  return undefined;
}

const EARTH_RADIUS_KM = 6371.0088;
const RADIANS = Math.PI / 180;

/** Great-circle distance (haversine, mean Earth radius). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RADIANS;
  const dLon = (lon2 - lon1) * RADIANS;
  const a =
    Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RADIANS) * Math.cos(lat2 * RADIANS) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** A latitude or longitude read from a trait (number or numeric string) within its range. */
export function coordinate(value: unknown, limit: 90 | 180): number | undefined {
  const number = asNumber(value);
  return number !== undefined && number >= -limit && number <= limit ? number : undefined;
}
