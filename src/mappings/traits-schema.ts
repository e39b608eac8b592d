import { z } from 'zod';
import '../lib/zod-messages.js';
import {
  checkEventMatcher,
  checkSingleComparison,
  COMPARISON_OPERATORS,
  comparisonShape,
  eventMatcherShape,
  toEventMatcher,
  toTraitCondition,
  traitConditionShape,
  type Comparison,
  type EventMatcherFields,
} from './conditions-schema.js';
import { BoundedDuration } from './duration-schema.js';

/**
 * Computed traits (docs/traits.md). A definition is written as one kind key
 * (`count: { event: Order Completed, window: 365d }`) and parsed into a discriminated union on
 * `kind`, with durations in milliseconds and matchers normalized.
 */

const PropertyPath = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a dotted property path such as properties.revenue');

/** Windows and half-lives: longer than 0, at most 3650d. */
const Window = BoundedDuration();

/** A trait kind's own keys next to the event matcher keys; the matcher rules are checked. */
function withMatcher<S extends z.ZodRawShape>(shape: S) {
  return z
    .strictObject({ ...eventMatcherShape, ...shape })
    .superRefine((fields, ctx) => checkEventMatcher(fields as EventMatcherFields, ctx));
}

export const CountTrait = withMatcher({ window: Window }).transform(({ window, ...matcher }) => ({
  kind: 'count' as const,
  match: toEventMatcher(matcher),
  window,
}));
export type CountTrait = z.infer<typeof CountTrait>;

const numericWindowShape = { property: PropertyPath, window: Window };

export const SumTrait = withMatcher(numericWindowShape).transform(({ property, window, ...matcher }) => ({
  kind: 'sum' as const,
  match: toEventMatcher(matcher),
  property,
  window,
}));
export type SumTrait = z.infer<typeof SumTrait>;

export const MinTrait = withMatcher(numericWindowShape).transform(({ property, window, ...matcher }) => ({
  kind: 'min' as const,
  match: toEventMatcher(matcher),
  property,
  window,
}));
export type MinTrait = z.infer<typeof MinTrait>;

export const MaxTrait = withMatcher(numericWindowShape).transform(({ property, window, ...matcher }) => ({
  kind: 'max' as const,
  match: toEventMatcher(matcher),
  property,
  window,
}));
export type MaxTrait = z.infer<typeof MaxTrait>;

export const AvgTrait = withMatcher(numericWindowShape).transform(({ property, window, ...matcher }) => ({
  kind: 'avg' as const,
  match: toEventMatcher(matcher),
  property,
  window,
}));
export type AvgTrait = z.infer<typeof AvgTrait>;

export const FirstTrait = withMatcher({ property: PropertyPath }).transform(({ property, ...matcher }) => ({
  kind: 'first' as const,
  match: toEventMatcher(matcher),
  property,
}));
export type FirstTrait = z.infer<typeof FirstTrait>;

export const LastTrait = withMatcher({ property: PropertyPath }).transform(({ property, ...matcher }) => ({
  kind: 'last' as const,
  match: toEventMatcher(matcher),
  property,
}));
export type LastTrait = z.infer<typeof LastTrait>;

export const MostFrequentTrait = withMatcher({ property: PropertyPath, window: Window }).transform(
  ({ property, window, ...matcher }) => ({
    kind: 'most_frequent' as const,
    match: toEventMatcher(matcher),
    property,
    window,
  }),
);
export type MostFrequentTrait = z.infer<typeof MostFrequentTrait>;

export const DistinctTrait = withMatcher({
  property: PropertyPath,
  window: Window,
  limit: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(20),
}).transform(({ property, window, limit, ...matcher }) => ({
  kind: 'distinct' as const,
  match: toEventMatcher(matcher),
  property,
  window,
  limit,
}));
export type DistinctTrait = z.infer<typeof DistinctTrait>;

export const ActiveDaysTrait = withMatcher({ window: Window }).transform(({ window, ...matcher }) => ({
  kind: 'active_days' as const,
  match: toEventMatcher(matcher),
  window,
}));
export type ActiveDaysTrait = z.infer<typeof ActiveDaysTrait>;

export const SinceUnit = z.enum(['seconds', 'minutes', 'hours', 'days', 'weeks'], {
  error: 'must be one of seconds, minutes, hours, days, weeks',
});
export type SinceUnit = z.infer<typeof SinceUnit>;

export const SinceTrait = withMatcher({ unit: SinceUnit.default('days') }).transform(
  ({ unit, ...matcher }) => ({
    kind: 'since' as const,
    match: toEventMatcher(matcher),
    unit,
  }),
);
export type SinceTrait = z.infer<typeof SinceTrait>;

const Boundaries = z
  .array(z.number().nonnegative('must not be negative'))
  .length(4, 'needs exactly 4 boundaries')
  .refine(
    (bounds) => bounds.every((bound, i) => i === 0 || bound > (bounds[i - 1] ?? 0)),
    'must be increasing',
  );

const SCORE_TEST = /^\s*(>=|<=|>|<|=)?\s*([1-5])\s*$/;
const SCORE_TEST_OPS = { '>=': 'gte', '<=': 'lte', '>': 'gt', '<': 'lt', '=': 'eq', '': 'eq' } as const;

/** `">=4"`, `"<=2"`, `"3"` or `3`: a test on an R, F or M score. */
export const RfmScoreTest = z.union([z.number(), z.string()]).transform((written, ctx): Comparison => {
  const match = SCORE_TEST.exec(String(written));
  if (!match) {
    ctx.addIssue({
      code: 'custom',
      message: `"${written}" is not a score test such as ">=4", "<=2" or "3" (scores are 1..5)`,
    });
    return z.NEVER;
  }
  const op = SCORE_TEST_OPS[(match[1] ?? '') as keyof typeof SCORE_TEST_OPS];
  return { op, value: Number(match[2]) };
});

const RfmTier = z.strictObject({
  r: RfmScoreTest.optional(),
  f: RfmScoreTest.optional(),
  m: RfmScoreTest.optional(),
});

export const RfmTrait = withMatcher({
  monetary: PropertyPath,
  window: Window,
  recency_days: Boundaries,
  frequency: Boundaries,
  monetary_bounds: Boundaries,
  tiers: z.record(z.string().min(1), RfmTier).optional(),
}).transform(({ monetary, window, recency_days, frequency, monetary_bounds, tiers, ...matcher }) => ({
  kind: 'rfm' as const,
  match: toEventMatcher(matcher),
  monetary,
  window,
  recencyDays: recency_days,
  frequency,
  monetaryBounds: monetary_bounds,
  /** In written order: the first matching tier wins. */
  tiers: Object.entries(tiers ?? {}).map(([name, tests]) => ({ name, ...tests })),
}));
export type RfmTrait = z.infer<typeof RfmTrait>;

/** A score rule's `when`: an event matcher, or a trait condition (`{ trait: title, matches: ... }`). */
export const ScoreWhen = z
  .strictObject({ ...eventMatcherShape, ...comparisonShape, trait: traitConditionShape.trait.optional() })
  .superRefine((fields, ctx) => {
    if (fields.trait === undefined) {
      const operator = COMPARISON_OPERATORS.find((op) => fields[op] !== undefined);
      if (operator)
        ctx.addIssue({
          code: 'custom',
          path: [operator],
          message: 'operators need a trait: add trait: <name>',
        });
      checkEventMatcher(fields, ctx);
      return;
    }
    for (const key of ['event', 'type', 'name', 'where'] as const) {
      if (fields[key] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'a trait condition cannot also match events' });
      }
    }
    checkSingleComparison(fields, ctx);
  })
  .transform(({ trait, ...fields }) =>
    trait === undefined
      ? { kind: 'event' as const, match: toEventMatcher(fields) }
      : { kind: 'trait' as const, condition: toTraitCondition({ ...fields, trait }) ?? z.NEVER },
  );
export type ScoreWhen = z.infer<typeof ScoreWhen>;

export const ScoreRule = z.strictObject({
  points: z.number().refine((points) => points !== 0, 'must not be 0'),
  reason: z.string().min(1, 'must not be empty'),
  when: ScoreWhen,
  once: z.boolean().default(false),
});
export type ScoreRule = z.infer<typeof ScoreRule>;

export const ScoreTrait = z
  .strictObject({
    half_life: Window,
    max: z.number().positive('must be greater than 0').optional(),
    rules: z.array(ScoreRule).min(1, 'needs at least one rule'),
  })
  .transform(({ half_life, max, rules }) => ({ kind: 'score' as const, halfLife: half_life, max, rules }));
export type ScoreTrait = z.infer<typeof ScoreTrait>;

/**
 * The model file is read (and validated) when the engine is built, not at mapping load. `shadow` is a
 * second model file scored beside the live one for comparison only (docs/models.md).
 */
export const ModelTrait = z
  .strictObject({
    file: z.string().min(1, 'must not be empty'),
    shadow: z.string().min(1, 'must not be empty').optional(),
  })
  .transform(({ file, shadow }) => ({
    kind: 'model' as const,
    file,
    ...(shadow === undefined ? {} : { shadow }),
  }));
export type ModelTrait = z.infer<typeof ModelTrait>;

const kindShape = {
  count: CountTrait.optional(),
  sum: SumTrait.optional(),
  min: MinTrait.optional(),
  max: MaxTrait.optional(),
  avg: AvgTrait.optional(),
  first: FirstTrait.optional(),
  last: LastTrait.optional(),
  most_frequent: MostFrequentTrait.optional(),
  distinct: DistinctTrait.optional(),
  active_days: ActiveDaysTrait.optional(),
  since: SinceTrait.optional(),
  rfm: RfmTrait.optional(),
  score: ScoreTrait.optional(),
  model: ModelTrait.optional(),
};
export type TraitKindName = keyof typeof kindShape;
export const TRAIT_KINDS = Object.keys(kindShape) as TraitKindName[];
const KIND_LIST = TRAIT_KINDS.join(', ');

type KindFields = { [K in TraitKindName]?: unknown };

function kindsIn(written: KindFields): TraitKindName[] {
  return TRAIT_KINDS.filter((kind) => written[kind] !== undefined);
}

export const TraitDefinition = z
  .strictObject(kindShape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown trait kind "${issue.keys.join('", "')}"; expected one of ${KIND_LIST}`
        : undefined,
  })
  .refine((written) => kindsIn(written).length > 0, {
    message: `needs one trait kind: ${KIND_LIST}`,
    when: (payload) => payload.issues.length === 0,
  })
  .refine((written) => kindsIn(written).length < 2, {
    error: (issue) => `has ${kindsIn(issue.input as KindFields).join(' and ')}: a trait has exactly one kind`,
    when: (payload) => payload.issues.length === 0,
  })
  .transform((written) => {
    const definition = TRAIT_KINDS.map((kind) => written[kind]).find((value) => value !== undefined);
    // Only reached with issues already reported (zod transforms after non-fatal issues).
    return definition ?? z.NEVER;
  });
export type TraitDefinition = z.infer<typeof TraitDefinition>;
