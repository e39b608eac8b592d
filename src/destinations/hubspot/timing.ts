import { responseDateMs, retryAfterHeaderMs } from '../../delivery/retry-after.js';
import type { HubspotError } from './api.js';

/**
 * How long to wait before a retry, from the response alone (pure: "now" is the response's `Date`
 * header, which every HTTP origin server sends). Retries: README.md "Outcomes"; rate limits and their
 * 429s: https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines.
 */

/** The per-app burst window [doc: `X-HubSpot-RateLimit-Interval-Milliseconds: 10000`]. */
export const TEN_SECONDLY_MS = 10_000;
/** The search API's per-second limit (policy `SECONDLY`); the official SDK waits 1 s x attempt. */
export const SECONDLY_MS = 1_000;
/** A daily-limit retry never waits longer than this (see `untilNextHourMs`). */
export const HOUR_MS = 3_600_000;

/** `Retry-After` as delay-seconds, or as an HTTP date measured from the response's `Date`. */
export function retryAfterMs(headers: Record<string, string>): number | undefined {
  const wait = retryAfterHeaderMs(headers, responseDateMs(headers));
  return wait === undefined ? undefined : Math.max(0, Math.ceil(wait));
}

/**
 * A 429's wait: `Retry-After` when HubSpot sends one (documented for 477, unconfirmed for 429);
 * otherwise by `policyName`: TEN_SECONDLY_ROLLING (or none) -> the 10 s window, SECONDLY -> 1 s,
 * DAILY -> until the next full UTC hour.
 */
export function rateLimitWaitMs(headers: Record<string, string>, error: HubspotError): number {
  const explicit = retryAfterMs(headers);
  if (explicit !== undefined) return explicit;
  const policy = error.policyName?.toUpperCase() ?? '';
  if (policy === 'DAILY' || /daily limit/i.test(error.message ?? ''))
    return untilNextHourMs(responseDateMs(headers));
  if (policy === 'SECONDLY') return SECONDLY_MS;
  return TEN_SECONDLY_MS;
}

/**
 * The daily limit resets at midnight in the HubSpot account's time zone, which the relay does not
 * know. Every time zone's midnight falls on a full UTC hour (a few on a half or quarter hour), so
 * probing once at the next full UTC hour (+1 s) finds the reset within the hour, at the cost of at
 * most 24 throttled requests a day. Waiting until UTC midnight could wait a whole extra day.
 * Without a `Date` header: one hour.
 */
export function untilNextHourMs(now: number | undefined): number {
  if (now === undefined) return HOUR_MS;
  return HOUR_MS - (now % HOUR_MS) + 1_000;
}
