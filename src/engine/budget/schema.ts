import { z } from 'zod';

/**
 * The shapes of a budget allocation run (docs/budget.md): plain JSON, so a run can be stored, served
 * by the admin API and replayed. Money in a run is in whole cents (integers); the budget's `total`
 * and `capPerMember` are kept as written, in the account currency.
 */

const Cents = z.number().int().min(0);
const Count = z.number().int().min(0);

/** What the relay keeps per audience, updated with each membership and trait change (sums.ts). */
export const AudienceSums = z.strictObject({
  /** Members now. */
  size: Count,
  /** Sum of the members' probabilities (a member without one adds 0). */
  sumProbability: z.number().finite(),
  /** Sum of the order values of the members that have one, and how many have one. */
  sumOrderValue: z.number().finite(),
  countOrderValue: Count,
});
export type AudienceSums = z.infer<typeof AudienceSums>;

/** One audience's inputs: its running sums and, when `value.order_value` is an amount, that amount. */
export const AudienceInput = AudienceSums.extend({
  audience: z.string().min(1),
  constantOrderValue: z.number().finite().min(0).nullable(),
});
export type AudienceInput = z.infer<typeof AudienceInput>;

export const BudgetInput = z.strictObject({
  /** In the account currency; 0 is allowed here (nothing to spend), though `budget.total` must be over 0. */
  total: z.number().finite().min(0),
  period: z.enum(['day', 'week', 'month']),
  minAudienceSize: Count,
  capPerMember: z.number().finite().positive(),
  /** Destination name -> share; empty: no split. */
  channels: z.record(z.string(), z.number().gt(0).max(1)),
});
export type BudgetInput = z.infer<typeof BudgetInput>;

/** Everything an allocation is computed from: a run replays from these alone. */
export const AllocationInputs = z.strictObject({
  budget: BudgetInput,
  audiences: z.array(AudienceInput),
});
export type AllocationInputs = z.infer<typeof AllocationInputs>;

export const RankedAudience = z.strictObject({
  audience: z.string(),
  /** 1 is spent on first. */
  rank: z.number().int().min(1),
  size: Count,
  meanProbability: z.number().min(0).max(1),
  averageOrderValue: z.number().min(0),
  orderValueFrom: z.enum(['trait', 'constant']),
  expectedValuePerMember: z.number().min(0),
  expectedValue: z.number().min(0),
  /** The arithmetic in words, e.g. `high_intent: 0.8200 x 120.00 = 98.40 per member; x 820 members = 80,688.00`. */
  explanation: z.string(),
});
export type RankedAudience = z.infer<typeof RankedAudience>;

export const DecisionReason = z.enum([
  /** Took its whole cap (size x cap per member). */
  'saturated',
  /** Took what was left, less than its cap. */
  'rest_of_budget',
  /** Nothing was left when its turn came. */
  'budget_spent',
  'below_minimum_size',
  /** Mean probability x average order value is 0 (or no member has an order value). */
  'no_expected_value',
]);
export type DecisionReason = z.infer<typeof DecisionReason>;

export const ChannelAmount = z.strictObject({
  destination: z.string(),
  share: z.number(),
  cents: Cents,
});
export type ChannelAmount = z.infer<typeof ChannelAmount>;

export const AllocationDecision = z.strictObject({
  audience: z.string(),
  rank: z.number().int().min(1),
  cents: Cents,
  /** size x cap per member, in whole cents rounded down. */
  capCents: Cents,
  remainingBeforeCents: Cents,
  remainingAfterCents: Cents,
  reason: DecisionReason,
  /** The decision and its arithmetic in words, e.g. `cart_abandoners: 0, below the minimum size 100 (has 37)`. */
  explanation: z.string(),
  /** The amount split per channel (empty without `channels`); the parts add up to `cents` exactly. */
  channels: z.array(ChannelAmount),
});
export type AllocationDecision = z.infer<typeof AllocationDecision>;

export const AllocationRun = z.strictObject({
  /** When the run was made (ISO 8601), as given by the caller. */
  at: z.string(),
  inputs: AllocationInputs,
  ranking: z.array(RankedAudience),
  /** One per audience, in ranking order. */
  decisions: z.array(AllocationDecision),
  /** Cents given to audiences, and cents of the total left over. */
  allocated: Cents,
  unallocated: Cents,
  /** The outcome in words, with why anything is left unallocated. */
  explanation: z.string(),
});
export type AllocationRun = z.infer<typeof AllocationRun>;
