import type { DestinationLimits } from '../../delivery/destination.js';
import { MAX_INPUTS } from './api.js';

/**
 * Defaults for one HubSpot account (overridable per destination with `limits:` in
 * the mapping). The rate limit is the Free/Starter per-app burst, the safe default: 100 requests per
 * rolling 10 s (Professional/Enterprise 190, with the API limit pack 250).
 * https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines
 */
export const HUBSPOT_LIMITS: DestinationLimits = {
  batchSize: MAX_INPUTS,
  requestsPerWindow: 100,
  windowMs: 10_000,
  timeoutMs: 10_000,
  maxWaitMs: 1_000,
};
