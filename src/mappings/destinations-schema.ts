import { z } from 'zod';

/**
 * A destination block: its `type`, `settings` and optional `limits`; every other key is the
 * destination type's own mapping (identify_by, audiences, traits, ...), validated by that type's
 * schema when the files are merged (src/mappings/destination-check.ts).
 */
export const DestinationLimitsOverride = z.strictObject({
  batch_size: z.number().int().positive().optional(),
  requests_per_second: z.number().positive().optional(),
  max_wait: z.string().optional(),
  max_retry_age: z.string().optional(),
});
export type DestinationLimitsOverride = z.infer<typeof DestinationLimitsOverride>;

export const DestinationBlock = z.looseObject({
  type: z.string().min(1),
  settings: z.record(z.string(), z.unknown()).default({}),
  limits: DestinationLimitsOverride.optional(),
  /** `true`/`false`, or the same as text so it can come from the environment (`${BRAZE_ENABLED:-false}`). */
  enabled: z.union([z.boolean(), z.stringbool()]).default(true),
});
export type DestinationBlock = z.infer<typeof DestinationBlock>;
