import { z } from 'zod';
import { RE2JS } from 're2js';
import '../lib/zod-messages.js';
import { MAX_PATTERN_LENGTH, MAX_PATTERN_PROGRAM } from './limits.js';

/**
 * Conditions shared by traits and audiences: value comparisons (`{ eq: /pricing }`), property
 * filters (`where`) and event matchers (`{ event: Order Completed }`, `{ type: page, name: Pricing }`).
 * The YAML shape is parsed into normalized values the engine evaluates without re-reading keys.
 */

export const COMPARISON_OPERATORS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'contains',
  'exists',
  'matches',
] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

const Ordered = z.union([z.number(), z.string()]);

/**
 * A `matches` pattern: RE2 syntax (linear-time matching, no backreferences), at most
 * MAX_PATTERN_LENGTH characters and MAX_PATTERN_PROGRAM instructions once compiled, since matching
 * time grows with the compiled size times the text (`[\s\S]{1000}` repeated is linear, but slow).
 */
export const Re2Pattern = z.string().superRefine((pattern, ctx) => {
  const problem = patternProblem(pattern);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH)
    return `is ${pattern.length} characters: over the limit of ${MAX_PATTERN_LENGTH} for a pattern`;
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    return `is not a valid RE2 pattern: ${error instanceof Error ? error.message : String(error)}`;
  }
  const size = programSize(compiled);
  if (size !== undefined && size > MAX_PATTERN_PROGRAM)
    return `compiles to ${size} RE2 instructions: over the limit of ${MAX_PATTERN_PROGRAM} (use fewer or smaller repetitions)`;
  return undefined;
}

/** The compiled program's instruction count, where the RE2 library exposes it. */
function programSize(compiled: RE2JS): number | undefined {
  const program = (compiled as unknown as { re2Input?: { prog?: { inst?: unknown } } }).re2Input?.prog?.inst;
  return Array.isArray(program) ? program.length : undefined;
}

/** The operator keys as they appear in YAML, e.g. `{ gte: 10, lt: 100 }`. */
export const comparisonShape = {
  eq: Scalar.optional(),
  ne: Scalar.optional(),
  gt: Ordered.optional(),
  gte: Ordered.optional(),
  lt: Ordered.optional(),
  lte: Ordered.optional(),
  in: z.array(Scalar).optional(),
  contains: Scalar.optional(),
  exists: z.boolean().optional(),
  matches: Re2Pattern.optional(),
};
type ComparisonFields = { [K in keyof typeof comparisonShape]?: z.output<(typeof comparisonShape)[K]> };

/** One normalized comparison: what `compare` evaluates. */
export const Comparison = z.discriminatedUnion('op', [
  z.object({ op: z.enum(['eq', 'ne', 'contains']), value: Scalar }),
  z.object({ op: z.enum(['gt', 'gte', 'lt', 'lte']), value: Ordered }),
  z.object({ op: z.literal('in'), value: z.array(Scalar) }),
  z.object({ op: z.literal('exists'), value: z.boolean() }),
  z.object({ op: z.literal('matches'), value: z.string() }),
]);
export type Comparison = z.infer<typeof Comparison>;

const OPERATOR_LIST = COMPARISON_OPERATORS.join(', ');

/** The comparisons written in an object, in operator order. */
export function comparisonsIn(fields: ComparisonFields): Comparison[] {
  const found: Comparison[] = [];
  for (const op of COMPARISON_OPERATORS) {
    const value = fields[op];
    if (value !== undefined) found.push({ op, value } as Comparison);
  }
  return found;
}

function countOperators(fields: ComparisonFields): number {
  return COMPARISON_OPERATORS.filter((op) => fields[op] !== undefined).length;
}

/** `where: { <dotted path>: { <operator>: value, ... } }`: every comparison must hold. */
export const Where = z
  .record(
    z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a dotted property path such as properties.revenue'),
    z.strictObject(comparisonShape).refine((fields) => countOperators(fields) > 0, {
      message: `needs an operator: ${OPERATOR_LIST}`,
    }),
  )
  .transform((where) =>
    Object.entries(where).flatMap(([path, fields]) =>
      comparisonsIn(fields).map((comparison): WhereTest => ({ path, comparison })),
    ),
  );
export type Where = z.infer<typeof Where>;
export interface WhereTest {
  path: string;
  comparison: Comparison;
}

/** Which events count: a track event by name (`*` = any track), or a page / screen view. */
export type EventMatcher =
  | { type: 'track'; event: string; where: WhereTest[] }
  | { type: 'page' | 'screen'; name?: string; where: WhereTest[] };

export const ANY_TRACK = '*';

/** The matcher keys as they appear next to a trait's own keys (`count: { event: X, window: 7d }`). */
export const eventMatcherShape = {
  event: z.string().min(1, 'must not be empty').optional(),
  type: z.enum(['page', 'screen'], { error: 'must be page or screen' }).optional(),
  name: z.string().min(1, 'must not be empty').optional(),
  where: Where.optional(),
};
export interface EventMatcherFields {
  event?: string | undefined;
  type?: 'page' | 'screen' | undefined;
  name?: string | undefined;
  where?: WhereTest[] | undefined;
}

/** Reports a matcher that names neither or both of `event` and `type`, or `name` without `type`. */
export function checkEventMatcher(fields: EventMatcherFields, ctx: z.RefinementCtx): void {
  if (fields.event !== undefined && fields.type !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['type'],
      message: 'use either event (track) or type (page/screen), not both',
    });
  } else if (fields.event === undefined && fields.type === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['event'],
      message: 'needs event (a track event name, or "*" for any) or type (page or screen)',
    });
  }
  if (fields.name !== undefined && fields.type === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['name'],
      message: 'name filters page/screen views: add type: page or screen',
    });
  }
}

export function toEventMatcher(fields: EventMatcherFields): EventMatcher {
  const where = fields.where ?? [];
  if (fields.type !== undefined) {
    return fields.name === undefined
      ? { type: fields.type, where }
      : { type: fields.type, name: fields.name, where };
  }
  return { type: 'track', event: fields.event ?? ANY_TRACK, where };
}

export const EventMatcher = z
  .strictObject(eventMatcherShape)
  .superRefine(checkEventMatcher)
  .transform(toEventMatcher);

/** `{ trait: title, matches: "(?i)director" }`: a comparison on a current trait value. */
export interface TraitCondition {
  trait: string;
  comparison: Comparison;
}

export const traitConditionShape = {
  trait: z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be a trait name, or a dotted path such as rfm.tier'),
  ...comparisonShape,
};

export function checkSingleComparison(fields: ComparisonFields, ctx: z.RefinementCtx): void {
  if (countOperators(fields) !== 1) {
    ctx.addIssue({ code: 'custom', message: `needs exactly one operator: ${OPERATOR_LIST}` });
  }
}

/** The condition, or undefined when the operator check has already reported it (zod still transforms). */
export function toTraitCondition(fields: ComparisonFields & { trait: string }): TraitCondition | undefined {
  const [comparison] = comparisonsIn(fields);
  return comparison === undefined ? undefined : { trait: fields.trait, comparison };
}

export const TraitCondition = z
  .strictObject(traitConditionShape)
  .superRefine(checkSingleComparison)
  .transform((fields) => toTraitCondition(fields) ?? z.NEVER);
