import type { JsonLimits } from '../http/json-limits.js';

/** The intake's limits (docs/intake.md, "Limits"). Input over any of them can never succeed: 400/413. */

/** A request body, after decompression (Segment's own limit). */
export const MAX_REQUEST_BYTES = 500 * 1024;
/** One event, as sent (Segment's own limit). */
export const MAX_EVENT_BYTES = 32 * 1024;
/** Events in one request (`batch` or a webhook array). */
export const MAX_EVENTS_PER_REQUEST = 2000;
/** How far ahead of the receive time an event time may be before it is clamped to the receive time. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

/** The shape of one event (batch-shared `context` and `integrations` merged in). */
export const EVENT_JSON_LIMITS: JsonLimits = {
  maxDepth: 32,
  maxKeys: 2000,
  maxStringLength: 16 * 1024,
  maxKeyLength: 1024,
};
