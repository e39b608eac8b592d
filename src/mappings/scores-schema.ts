import { z } from 'zod';
import '../lib/zod-messages.js';
import { BoundedDuration } from './duration-schema.js';

const DAY_MS = 86_400_000;

/**
 * `scores:` (docs/budget.md "Score monitoring"): how score and model traits are watched for drift.
 * Every field has a default, so the section is optional; the histograms themselves are in
 * src/engine/scores/.
 */
export const ScoresConfig = z.strictObject({
  /**
   * How far back the reference histogram is: the day's snapshot is compared with the one this many
   * whole days earlier (or the nearest older one; the first one while none is that old).
   */
  reference: BoundedDuration({ maxMs: 366 * DAY_MS, maxText: '366d' })
    .refine((ms) => ms >= DAY_MS && ms % DAY_MS === 0, 'must be whole days, such as 7d')
    .prefault('7d'),
  /** A population stability index above this against the reference window is a warning. */
  psi_threshold: z.number().finite().positive('must be greater than 0').default(0.2),
  /** Fixed bins over each trait's known range. */
  bins: z
    .number()
    .int('must be a whole number')
    .min(2, 'must be at least 2')
    .max(100, 'must be at most 100')
    .default(10),
  /** How many tiers the suggested cut points make. */
  tiers: z
    .number()
    .int('must be a whole number')
    .min(2, 'must be at least 2')
    .max(10, 'must be at most 10')
    .default(3),
});
export type ScoresConfig = z.infer<typeof ScoresConfig>;
