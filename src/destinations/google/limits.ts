import type { DestinationLimits } from '../../delivery/destination.js';

/**
 * Data Manager API limits (https://developers.google.com/data-manager/api/devguides/limits and the
 * `audienceMembers:ingest` reference): 10,000 audience members per request, 10 user identifiers per
 * member, 10 destinations per request; 300 requests per minute and 100,000 per day per Google Cloud
 * project, answered `429 RESOURCE_EXHAUSTED` above that.
 */
export const MAX_MEMBERS_PER_REQUEST = 10_000;
export const MAX_IDENTIFIERS_PER_MEMBER = 10;
export const MAX_DESTINATIONS_PER_REQUEST = 10;
export const REQUESTS_PER_MINUTE = 300;

/** A list is only targetable once it has this many matched members. */
export const MINIMUM_AUDIENCE_SIZE = 100;

/** A 429 without `Retry-After` (Google's quota errors send none): wait out the one-minute window. */
export const THROTTLE_WAIT_MS = 60_000;

/**
 * When to ask `requestStatus:retrieve` for a request's result: Google applies uploads in the background
 * and suggests checking back after about 30 minutes; then every 15 minutes until it is done.
 */
export const STATUS_POLL_AFTER_MS = 30 * 60_000;
export const STATUS_POLL_EVERY_MS = 15 * 60_000;

/**
 * The Google Ads API, for the budget push only: its base and the version new destinations use (v26,
 * the latest, https://developers.google.com/google-ads/api/docs/sunset-dates).
 */
export const GOOGLE_ADS_ENDPOINT = 'https://googleads.googleapis.com';
export const GOOGLE_ADS_API_VERSION = 'v26';

export const GOOGLE_LIMITS: DestinationLimits = {
  /** Items per batch: one audience member each. */
  batchSize: MAX_MEMBERS_PER_REQUEST,
  requestsPerWindow: REQUESTS_PER_MINUTE,
  windowMs: 60_000,
  timeoutMs: 30_000,
  maxWaitMs: 10_000,
};
