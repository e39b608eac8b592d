import type { DestinationLimits } from '../../delivery/destination.js';

/**
 * Slack allows about one message per second per incoming webhook, with short bursts; beyond it, 429
 * with `Retry-After` (https://api.slack.com/docs/rate-limits). A batch waits up to a second so a
 * burst of entries becomes one message, and one message names at most 20 people (a header and 20
 * sections stay within Block Kit's 50 blocks per message).
 */
export const PEOPLE_PER_MESSAGE = 20;

export const SLACK_LIMITS: DestinationLimits = {
  batchSize: PEOPLE_PER_MESSAGE,
  requestsPerWindow: 1,
  windowMs: 1_000,
  timeoutMs: 10_000,
  maxWaitMs: 1_000,
};
