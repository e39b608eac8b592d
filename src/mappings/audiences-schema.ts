import { z } from 'zod';
import '../lib/zod-messages.js';
import {
  COMPARISON_OPERATORS,
  comparisonShape,
  comparisonsIn,
  EventMatcher,
  traitConditionShape,
  type Comparison,
} from './conditions-schema.js';
import { checkDuration } from './duration-schema.js';
import { MAX_RULE_DEPTH } from './limits.js';
import { Name } from './name.js';

/**
 * Audiences (docs/audiences.md). A rule is written as one condition key per
 * object (`{ trait: lead_score, gt: 80 }`, `{ performed: {...}, at_least: 3, within: 48h }`,
 * `{ all: [...] }`) and parsed into a discriminated union on `kind`. Cross-references (`audience:`,
 * `value:` traits) and cycles are checked when files are merged (load.ts).
 */

const notAWindow = (text: string) =>
  `"${text}" is not a duration longer than 0 such as 30s, 15m, 48h, 7d or 4w`;

/** A duration as written (kept for labels) and in milliseconds; longer than 0, at most 3650d. */
export const RuleWindow = z.string().transform((text, ctx) => {
  const checked = checkDuration(text, { malformed: notAWindow, zero: notAWindow });
  if (checked.problem !== undefined) {
    ctx.addIssue({ code: 'custom', message: checked.problem });
    return z.NEVER;
  }
  return { ms: checked.ms, text: text.trim() };
});
export type RuleWindow = z.infer<typeof RuleWindow>;

/** Timestamps kept per profile grow with N: a bound keeps state small and evaluation fast. */
export const MAX_PERFORMED_TIMES = 1000;

const Times = z
  .number()
  .int('must be a whole number')
  .min(0, 'must not be negative')
  .max(MAX_PERFORMED_TIMES, `must be at most ${MAX_PERFORMED_TIMES}`);

export const PERFORMED_BOUNDS = ['at_least', 'at_most', 'exactly'] as const;
export type PerformedBound = (typeof PERFORMED_BOUNDS)[number];

const TraitPath = traitConditionShape.trait;

/** `near: { lat_trait, lon_trait, lat, lon, radius_km }`: the profile's point within a radius (haversine). */
export const NearArea = z
  .strictObject({
    lat_trait: TraitPath,
    lon_trait: TraitPath,
    lat: z.number().min(-90, 'must be between -90 and 90').max(90, 'must be between -90 and 90'),
    lon: z.number().min(-180, 'must be between -180 and 180').max(180, 'must be between -180 and 180'),
    radius_km: z.number().positive('must be greater than 0'),
  })
  .transform(({ lat_trait, lon_trait, lat, lon, radius_km }) => ({
    latTrait: lat_trait,
    lonTrait: lon_trait,
    lat,
    lon,
    radiusKm: radius_km,
  }));
export type NearArea = z.infer<typeof NearArea>;

/** `{ performed: <matcher>, at_least | at_most | exactly: N, within: W }`: exact, by event time. */
export interface PerformedCondition {
  kind: 'performed';
  match: EventMatcher;
  bound: PerformedBound;
  times: number;
  within: RuleWindow;
}

/** `{ trait: lead_score, gt: 80 }`: one comparison on a current trait value (by name or dotted path). */
export interface TraitComparisonCondition {
  kind: 'trait';
  trait: string;
  comparison: Comparison;
}

/** `{ trait: trial_ends_at, within_next: 3d }`: a date trait (ISO string or epoch ms) near now. */
export interface DateCondition {
  kind: 'date';
  trait: string;
  direction: 'next' | 'last';
  within: RuleWindow;
}

export type NearCondition = { kind: 'near' } & NearArea;

export interface AudienceMembershipCondition {
  kind: 'audience';
  audience: string;
}

/** The normalized rule tree. Written out (not inferred) because it is recursive. */
export type AudienceCondition =
  | { kind: 'all'; conditions: AudienceCondition[] }
  | { kind: 'any'; conditions: AudienceCondition[] }
  | { kind: 'not'; condition: AudienceCondition }
  | PerformedCondition
  | TraitComparisonCondition
  | DateCondition
  | NearCondition
  | AudienceMembershipCondition;

export type ConditionKind = AudienceCondition['kind'];

/** The keys that start a condition, in the order messages list them. */
const CONDITION_KEYS = ['all', 'any', 'not', 'performed', 'trait', 'near', 'audience'] as const;
type ConditionKey = (typeof CONDITION_KEYS)[number];
const TRAIT_OPERATORS = [...COMPARISON_OPERATORS, 'within_next', 'within_last'] as const;

type ConditionList = z.ZodOptional<z.ZodArray<z.ZodType<AudienceCondition, unknown>>>;

const conditionFields = z.strictObject({
  get all(): ConditionList {
    return z.array(AudienceCondition).min(1, 'needs at least one condition').optional();
  },
  get any(): ConditionList {
    return z.array(AudienceCondition).min(1, 'needs at least one condition').optional();
  },
  get not(): z.ZodOptional<z.ZodType<AudienceCondition, unknown>> {
    return AudienceCondition.optional();
  },
  performed: EventMatcher.optional(),
  at_least: Times.optional(),
  at_most: Times.optional(),
  exactly: Times.optional(),
  within: RuleWindow.optional(),
  trait: TraitPath.optional(),
  ...comparisonShape,
  within_next: RuleWindow.optional(),
  within_last: RuleWindow.optional(),
  near: NearArea.optional(),
  audience: Name.optional(),
});
type ConditionFields = z.output<typeof conditionFields>;

function present<K extends keyof ConditionFields>(fields: ConditionFields, keys: readonly K[]): K[] {
  return keys.filter((key) => fields[key] !== undefined);
}

const KEY_LIST = CONDITION_KEYS.join(', ');
const OPERATOR_LIST = TRAIT_OPERATORS.join(', ');
const BOUND_LIST = PERFORMED_BOUNDS.join(', ');
const PERFORMED_ONLY = [...PERFORMED_BOUNDS, 'within'] as const;

/** Reports a condition that is not exactly one well-formed kind, naming the offending key. */
function checkCondition(fields: ConditionFields, ctx: z.RefinementCtx): void {
  const kinds = present(fields, CONDITION_KEYS);
  const kind: ConditionKey | undefined = kinds.length === 1 ? kinds[0] : undefined;
  if (kinds.length > 1) {
    ctx.addIssue({
      code: 'custom',
      message: `has ${kinds.join(' and ')}: one condition per object; combine conditions with all or any`,
    });
    return;
  }
  const strayPerformed = kind === 'performed' ? [] : present(fields, PERFORMED_ONLY);
  const strayTrait = kind === 'trait' ? [] : present(fields, TRAIT_OPERATORS);
  for (const key of strayPerformed)
    ctx.addIssue({ code: 'custom', path: [key], message: `${key} belongs to a performed condition` });
  for (const key of strayTrait)
    ctx.addIssue({ code: 'custom', path: [key], message: `${key} needs a trait: add trait: <name>` });
  if (kind === undefined && strayPerformed.length + strayTrait.length === 0)
    ctx.addIssue({ code: 'custom', message: `needs a condition: one of ${KEY_LIST}` });
  if (kind === 'performed') {
    const bounds = present(fields, PERFORMED_BOUNDS);
    if (bounds.length === 0)
      ctx.addIssue({ code: 'custom', path: ['performed'], message: `performed needs one of ${BOUND_LIST}` });
    for (const extra of bounds.slice(1))
      ctx.addIssue({ code: 'custom', path: [extra], message: `use one of ${BOUND_LIST}, not several` });
    if (fields.within === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['within'],
        message: 'is required: performed needs a window, e.g. 48h',
      });
  }
  if (kind === 'trait' && present(fields, TRAIT_OPERATORS).length !== 1)
    ctx.addIssue({
      code: 'custom',
      path: ['trait'],
      message: `needs exactly one operator: ${OPERATOR_LIST}`,
    });
}

/** The normalized condition; undefined when `checkCondition` has reported why (zod may still transform). */
function toCondition(fields: ConditionFields): AudienceCondition | undefined {
  if (fields.all !== undefined) return { kind: 'all', conditions: fields.all };
  if (fields.any !== undefined) return { kind: 'any', conditions: fields.any };
  if (fields.not !== undefined) return { kind: 'not', condition: fields.not };
  if (fields.near !== undefined) return { kind: 'near', ...fields.near };
  if (fields.audience !== undefined) return { kind: 'audience', audience: fields.audience };
  if (fields.performed !== undefined) {
    const bound = present(fields, PERFORMED_BOUNDS)[0];
    const times = bound === undefined ? undefined : fields[bound];
    if (bound === undefined || times === undefined || fields.within === undefined) return undefined;
    return { kind: 'performed', match: fields.performed, bound, times, within: fields.within };
  }
  if (fields.trait === undefined) return undefined;
  if (fields.within_next !== undefined)
    return { kind: 'date', trait: fields.trait, direction: 'next', within: fields.within_next };
  if (fields.within_last !== undefined)
    return { kind: 'date', trait: fields.trait, direction: 'last', within: fields.within_last };
  const [comparison] = comparisonsIn(fields);
  return comparison === undefined ? undefined : { kind: 'trait', trait: fields.trait, comparison };
}

/** One condition of a rule, as written in YAML, parsed into `AudienceCondition`. */
export const AudienceCondition: z.ZodType<AudienceCondition, unknown> = conditionFields
  .superRefine(checkCondition)
  .transform((fields) => toCondition(fields) ?? z.NEVER)
  .meta({ id: 'AudienceCondition', description: `One condition: ${KEY_LIST}` });

/**
 * `value:` names the traits budget ranking reads: expected value = probability x order value. The
 * order value may also be a constant amount (docs/budget.md).
 */
export const AudienceValue = z.strictObject({
  probability: TraitPath,
  order_value: z.union([TraitPath, z.number().finite().min(0, 'must not be negative')], {
    error: 'must be a trait name or an amount such as 120',
  }),
});
export type AudienceValue = z.infer<typeof AudienceValue>;

/** The path of the first condition nested deeper than MAX_RULE_DEPTH, if any (the rule is depth 1). */
export function tooDeep(
  condition: AudienceCondition,
  path: (string | number)[] = ['rule'],
  depth = 1,
): (string | number)[] | undefined {
  if (typeof condition !== 'object' || condition === null) return undefined;
  if (depth > MAX_RULE_DEPTH) return path;
  if (condition.kind === 'all' || condition.kind === 'any') {
    for (const [index, child] of condition.conditions.entries()) {
      const found = tooDeep(child, [...path, condition.kind, index], depth + 1);
      if (found) return found;
    }
  }
  if (condition.kind === 'not') return tooDeep(condition.condition, [...path, 'not'], depth + 1);
  return undefined;
}

export const AudienceDefinition = z
  .strictObject({
    description: z.string().optional(),
    rule: AudienceCondition,
    value: AudienceValue.optional(),
  })
  .superRefine((definition, ctx) => {
    const path = tooDeep(definition.rule);
    if (path)
      ctx.addIssue({
        code: 'custom',
        path,
        message: `conditions nest more than ${MAX_RULE_DEPTH} deep (all / any / not): over the limit`,
      });
  });
export type AudienceDefinition = z.infer<typeof AudienceDefinition>;
