import { responseDateMs } from '../../delivery/retry-after.js';
import { LINKEDIN_THROTTLE_MS } from './limits.js';

const DAY_MS = 86_400_000;
/** Without the response's `Date` the next UTC midnight is unknown: probe again in an hour. */
const UNKNOWN_MIDNIGHT_MS = 3_600_000;

/**
 * How long a 429 pauses the destination. LinkedIn sends no reset or `Retry-After` header; its message
 * names the quota: a `DAY` limit ("Resource level throttle APPLICATION DAY limit …") lasts until the
 * daily quotas reset at midnight UTC, measured from the response's `Date` (the classifier has no
 * clock); any other throttle a full minute, the window of the per-member limit.
 */
export function throttleWaitMs(message: string | undefined, headers: Record<string, string>): number {
  if (message === undefined || !/\bDAY\b/.test(message)) return LINKEDIN_THROTTLE_MS;
  const date = responseDateMs(headers);
  if (date === undefined) return UNKNOWN_MIDNIGHT_MS;
  const untilMidnight = DAY_MS - (date % DAY_MS);
  return Math.max(LINKEDIN_THROTTLE_MS, untilMidnight);
}
