import type { DestinationLimits } from '../../delivery/destination.js';

/**
 * Meta Custom Audiences limits (README.md "API and limits").
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 * https://developers.facebook.com/docs/marketing-api/overview/rate-limiting
 */

/** At most 10,000 rows (users) per `/users` request; the total is unlimited. */
export const META_MAX_ROWS_PER_REQUEST = 10_000;

/** The version new destinations use; versions older than v25.0 have expired. */
export const META_DEFAULT_API_VERSION = 'v27.0';

/**
 * How long to pause when Meta throttles without saying for how long
 * (`X-Business-Use-Case-Usage.estimated_time_to_regain_access` missing or 0): the Limited access
 * tier blocks an ad account for 300 s once its score is spent (Full: 60 s), so 5 minutes covers both.
 */
export const META_DEFAULT_THROTTLE_MS = 5 * 60_000;

export const metaLimits: DestinationLimits = {
  /** Items per batch; an item gives one row or more (several e-mails, several held key sets). */
  batchSize: META_MAX_ROWS_PER_REQUEST,
  /**
   * 1 request per second. The `custom_audience` budget is per ad account per hour and at least
   * 5,000 calls (Limited tier) + 40 per active audience: 3,600 an hour stays under the smallest one,
   * while 10 per second would spend it in about 8 minutes. Each request carries up to 10,000 rows,
   * so this is still 36 million rows an hour; raise it with `limits.requests_per_second`.
   */
  requestsPerWindow: 1,
  windowMs: 1000,
  /** A 10,000-row upload is about 1.4 MB of hashes; Meta answers it in seconds, rarely more. */
  timeoutMs: 30_000,
  /** Ad audiences are not real-time (Meta applies changes within 24 h): fuller batches, fewer calls. */
  maxWaitMs: 10_000,
};
