import type { DestinationLimits } from '../../delivery/destination.js';

/**
 * The receiver is the operator's own system, so there is no vendor limit: 50 changes per request keep
 * a typical body (a few identifiers, two traits, a handful of message ids) under the 20 KB the
 * Standard Webhooks spec recommends, and `buildBatch` splits a batch that would not fit. The spec
 * asks for a 15-30 s timeout.
 */
export const MAX_BODY_BYTES = 20_000;

export const WEBHOOK_LIMITS: DestinationLimits = {
  batchSize: 50,
  requestsPerWindow: 10,
  windowMs: 1_000,
  timeoutMs: 15_000,
  maxWaitMs: 1_000,
};
