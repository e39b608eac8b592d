import type { DestinationLimits } from '../../delivery/destination.js';

/**
 * Braze `/users/track` limits (https://www.braze.com/docs/api/api_limits/).
 *
 * The legacy limit is 75 attributes + 75 events + 75 purchases per request; newer contracts allow 75
 * objects *combined*, MAU CY 24-25 contracts 50 combined. We use the combined rule, which is safe for
 * all but the 50 contracts (those set `settings.objects_per_request: 50`): `buildBatch` never puts more
 * than 75 attribute + event objects into one request. An item is one attribute object (plus one event
 * per audience change when `send_events` is on), so a batch of 75 items is one request without
 * events and may become two with them.
 */
export const BRAZE_MAX_OBJECTS_PER_REQUEST = 75;

export const brazeLimits: DestinationLimits = {
  /** Items per batch: one attribute object each. */
  batchSize: BRAZE_MAX_OBJECTS_PER_REQUEST,
  /** 3,000 requests per 3 seconds per workspace (older pages: 50,000/min). */
  requestsPerWindow: 3000,
  windowMs: 3000,
  timeoutMs: 10_000,
  maxWaitMs: 1000,
};
