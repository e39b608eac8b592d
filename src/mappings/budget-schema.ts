import { z } from 'zod';
import '../lib/zod-messages.js';
import { BoundedDuration } from './duration-schema.js';
import { Name } from './name.js';

/**
 * `budget:` (docs/budget.md): how much to spend per period and on which audiences. Ranking and
 * allocation live in src/engine/budget/; references to audiences and destinations are checked when
 * files are merged (budget-check.ts).
 */

/** Money as written (account currency); at most a trillion, so every amount in cents is an exact integer. */
export const MAX_MONEY = 1e12;
/** Shares of the channel split must add up to 1 within this (they are written as decimals). */
export const SHARE_TOLERANCE = 1e-9;

const Money = z.number().finite().max(MAX_MONEY, 'must be at most 1,000,000,000,000');

/** How a rule score (points) becomes a probability; model scores are probabilities already. */
export const ProbabilityFromScore = z
  .strictObject({
    logistic: z
      .strictObject({
        midpoint: z.number().finite(),
        scale: z.number().finite().positive('must be greater than 0'),
      })
      .optional(),
    linear: z
      .strictObject({ min: z.number().finite(), max: z.number().finite() })
      .refine((range) => range.max > range.min, { message: 'max must be greater than min', path: ['max'] })
      .optional(),
  })
  .refine((written) => (written.logistic === undefined) !== (written.linear === undefined), {
    message: 'needs exactly one of logistic: { midpoint, scale } or linear: { min, max }',
  })
  .transform((written) =>
    written.logistic !== undefined
      ? { kind: 'logistic' as const, ...written.logistic }
      : { kind: 'linear' as const, min: written.linear?.min ?? 0, max: written.linear?.max ?? 1 },
  );
export type ProbabilityFromScore = z.infer<typeof ProbabilityFromScore>;

/** `channels: { meta_high_intent: 0.6, google_high_intent: 0.4 }`: each share in (0, 1], together 1. */
export const ChannelShares = z
  .record(
    Name,
    z.number().finite().gt(0, 'must be greater than 0').max(1, 'must be at most 1 (a share of the amount)'),
  )
  .refine((shares) => Object.keys(shares).length > 0, { message: 'needs at least one channel' })
  .refine(
    (shares) => Math.abs(Object.values(shares).reduce((sum, share) => sum + share, 0) - 1) <= SHARE_TOLERANCE,
    {
      error: (issue) => {
        const shares = Object.values(issue.input as Record<string, number>);
        return `shares must add up to 1 (they add up to ${shares.reduce((sum, share) => sum + share, 0)})`;
      },
    },
  );
export type ChannelShares = z.infer<typeof ChannelShares>;

const MIN_REFRESH_MS = 60_000;

export const BudgetConfig = z.strictObject({
  /** Per period, in the account currency; spent to the cent. */
  total: Money.gt(0, 'must be greater than 0'),
  period: z.enum(['day', 'week', 'month'], { error: 'must be one of day, week, month' }),
  /** How often the allocation is recomputed (it is also recomputed on demand). */
  refresh: BoundedDuration({ maxMs: 86_400_000, maxText: '1d' })
    .refine((ms) => ms >= MIN_REFRESH_MS, 'must be at least 1m')
    .prefault('15m'),
  audiences: z
    .array(Name)
    .min(1, 'needs at least one audience')
    .refine((names) => new Set(names).size === names.length, 'lists an audience twice'),
  /** Audiences smaller than this get nothing (ad platforms refuse small audiences). */
  min_audience_size: z.number().int('must be a whole number').min(0, 'must not be negative').default(100),
  /** Saturation: an audience absorbs at most size x cap_per_member. */
  cap_per_member: z
    .number()
    .finite()
    .positive('must be greater than 0')
    .max(1e6, 'must be at most 1,000,000'),
  channels: ChannelShares.optional(),
  probability_from_score: ProbabilityFromScore.optional(),
});
export type BudgetConfig = z.infer<typeof BudgetConfig>;
