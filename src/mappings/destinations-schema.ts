import { z } from 'zod';
import { parseDuration } from '../lib/duration.js';

/** A duration as text (`30s`, `4h`), checked here so a typo is a load error, not a silent default. */
const DurationText = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, 'must be a duration such as 30s, 15m or 4h');

/**
 * Overrides of the type's defaults (its `limits.ts`): items per request, requests per second, how
 * long a batch may wait for more items, how long one request may take before it counts as a timeout
 * (and is retried), and how long a change is retried before it becomes a dead letter.
 */
export const DestinationLimitsOverride = z.strictObject({
  batch_size: z.number().int().positive().optional(),
  requests_per_second: z.number().positive().optional(),
  max_wait: DurationText.optional(),
  timeout: DurationText.optional(),
  max_retry_age: DurationText.optional(),
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
