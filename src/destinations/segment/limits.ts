import type { DestinationLimits } from '../../delivery/destination.js';

/**
 * Segment HTTP tracking API limits
 * (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size
 * and #rate-limits): 32 KB per event, 500 KB per batch request, at most 2,500 events per batch;
 * stay under 1,000 requests per second per workspace.
 *
 * An item becomes one `identify` plus, with `send_track_events`, one `track` per audience change, so a
 * batch of 100 items is 100 to a few hundred messages. `buildBatch` splits a batch into requests of at
 * most SEGMENT_MAX_MESSAGES_PER_REQUEST messages and SEGMENT_MAX_REQUEST_BYTES, counting each message's
 * JSON plus SDK_ADDED_BYTES_PER_MESSAGE for what @segment/analytics-node adds to it (its name and version in `context`,
 * `_metadata`, `integrations`, a `timestamp`), so the call on the wire stays under the SDK's own 480 KB
 * batch cap and Segment's 500 KB. (The SDK's own size check counts characters loosely; these limits
 * are what keeps a request valid.)
 */
export const SEGMENT_MAX_EVENT_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;
export const SEGMENT_MAX_EVENTS_PER_BATCH = 2500;

/** Well under 2,500; also the SDK's `flushAt`, so one request is one HTTP call. */
export const SEGMENT_MAX_MESSAGES_PER_REQUEST = 500;
/** Messages per request as they will weigh on the wire (SDK additions included). */
export const SEGMENT_MAX_REQUEST_BYTES = 450 * 1024;
/** Measured on @segment/analytics-node 3.1.0 (178 bytes on Node 20), rounded up. */
export const SDK_ADDED_BYTES_PER_MESSAGE = 256;

export const segmentLimits: DestinationLimits = {
  /** Items per batch: one identify each, plus a track per audience change. */
  batchSize: 100,
  /** 1,000 requests per second per workspace is Segment's advice; the relay uses a tenth of it. */
  requestsPerWindow: 100,
  windowMs: 1000,
  timeoutMs: 10_000,
  maxWaitMs: 1000,
};
