import { z } from 'zod';
import { DurationText } from './duration-schema.js';
import {
  MAX_BATCH_SIZE,
  MAX_REQUESTS_PER_SECOND,
  MAX_TIMEOUT_MS,
  MAX_TIMEOUT_TEXT,
  MIN_REQUESTS_PER_SECOND,
} from './limits.js';

/**
 * Durations as text (`30s`, `4h`), checked here so a typo is a load error, not a silent default,
 * and bounded: a timeout of 0 would never time out (wedging the destination and shutdown), and a
 * timer longer than about 24 days fires at once.
 */
const malformed = () => 'must be a duration such as 30s, 15m or 4h';
const Timeout = DurationText({ malformed, maxMs: MAX_TIMEOUT_MS, maxText: MAX_TIMEOUT_TEXT });
const MaxWait = DurationText({ malformed, allowZero: true, maxMs: 3_600_000, maxText: '1h' });
const RetryAge = DurationText({ malformed });

/**
 * Overrides of the type's defaults (its `limits.ts`): items per request, requests per second, how
 * long a batch may wait for more items, how long one request may take before it counts as a timeout
 * (and is retried), and how long a change is retried before it becomes a dead letter.
 */
export const DestinationLimitsOverride = z.strictObject({
  batch_size: z.number().int().positive().max(MAX_BATCH_SIZE).optional(),
  requests_per_second: z
    .number()
    .min(MIN_REQUESTS_PER_SECOND, `must be at least ${MIN_REQUESTS_PER_SECOND}`)
    .max(MAX_REQUESTS_PER_SECOND, `must be at most ${MAX_REQUESTS_PER_SECOND}`)
    .optional(),
  /** 0 sends a partial batch at once. */
  max_wait: MaxWait.optional(),
  timeout: Timeout.optional(),
  max_retry_age: RetryAge.optional(),
});
export type DestinationLimitsOverride = z.infer<typeof DestinationLimitsOverride>;

/**
 * A destination block: its `type`, `settings` and optional `limits`; every other key is the
 * destination type's own mapping (identify_by, audiences, traits, ...), validated by that type's
 * schema when the files are merged (src/mappings/destination-check.ts).
 */
export const DestinationBlock = z.looseObject({
  type: z.string().min(1),
  settings: z.record(z.string(), z.unknown()).default({}),
  limits: DestinationLimitsOverride.optional(),
  /** `true`/`false`, or the same as text so it can come from the environment (`${BRAZE_ENABLED:-false}`). */
  enabled: z.union([z.boolean(), z.stringbool()]).default(true),
});
export type DestinationBlock = z.infer<typeof DestinationBlock>;
