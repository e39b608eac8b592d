import type { DestinationLimits } from '../../delivery/destination.js';

/**
 * LinkedIn DMP segment users limits
 * (https://learn.microsoft.com/en-us/linkedin/marketing/matched-audiences/create-and-manage-segment-users).
 *
 * - Elements per request: 5,000 is the integrations' default (RudderStack `MAX_BATCH_SIZE`); LinkedIn
 *   publishes no maximum, so it is unconfirmed. One item is one element, so 5,000 items per batch.
 * - Rate: 600 requests per minute per member per app on `/users` (500 on older versions), on top of
 *   unpublished daily quotas. Spread as 10 per second, so a burst never spends the minute at once.
 * - Timeout 30 s: a 5,000-element batch is a large write.
 */
export const LINKEDIN_MAX_ELEMENTS = 5000;

export const LINKEDIN_LIMITS: DestinationLimits = {
  batchSize: LINKEDIN_MAX_ELEMENTS,
  requestsPerWindow: 10,
  windowMs: 1000,
  timeoutMs: 30_000,
  maxWaitMs: 10_000,
};

/** A throttled answer without a day limit: LinkedIn documents no reset header, so a full minute. */
export const LINKEDIN_THROTTLE_MS = 60_000;

/** The smallest matched audience a LinkedIn campaign serves to (https://www.linkedin.com/help/lms/answer/a424450). */
export const LINKEDIN_MINIMUM_AUDIENCE = 300;
