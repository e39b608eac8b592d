import type { AudienceDefinition } from '../../mappings/audiences-schema.js';
import type { BudgetConfig } from '../../mappings/budget-schema.js';
import type { TraitDefinition } from '../../mappings/traits-schema.js';
import type { BudgetSumsDelta } from '../../store/budget-port.js';
import { traitAt } from '../traits/trait-path.js';
import { orderValueOf, probabilityOf, probabilitySourceOf, type ProbabilitySource } from './probability.js';

/**
 * What each profile adds to the running sums of the budget audiences (docs/budget.md, "Running
 * sums"). Processing keeps a profile's contribution in its stored state, next to its memberships;
 * every commit adds the difference between the contributions it stores and the ones stored before
 * (`sumsDeltas`), so the sums are always the sum of the stored contributions. Pure.
 */

/**
 * The backfill key of the budget audiences' value specs: when they change, every profile is settled
 * once more so its contributions are recomputed (docs/budget.md, "Running sums").
 */
export const BUDGET_VALUES_DEFINITION = 'budget:values';

/** How one budget audience reads its members' values (from `value:` and `budget:`). */
export interface BudgetValueSpec {
  audience: string;
  probabilityTrait: string;
  probabilitySource: ProbabilitySource;
  /** The order value trait, or null when `order_value` is an amount (ranking reads the amount). */
  orderValueTrait: string | null;
}

/** A member's values: `p` its probability, `v` its order value; absent when it has none. */
export interface MemberContribution {
  p?: number;
  v?: number;
}

/** Per budget audience the profile is a member of: what it contributes. */
export type Contributions = Record<string, MemberContribution>;

/**
 * The budget audiences' value specs, in `budget.audiences` order (none without `budget:`).
 * `modelOutput` tells whether a model trait's file outputs a probability or a margin.
 */
export function budgetValueSpecs(
  budget: BudgetConfig | undefined,
  audiences: Record<string, AudienceDefinition>,
  traits: Record<string, TraitDefinition>,
  modelOutput: (trait: string) => 'probability' | 'margin',
): BudgetValueSpec[] {
  if (budget === undefined) return [];
  return budget.audiences.flatMap((audience) => {
    const value = Object.hasOwn(audiences, audience) ? audiences[audience]?.value : undefined;
    if (value === undefined) return []; // refused at load (budget-check.ts)
    const trait = Object.hasOwn(traits, value.probability) ? traits[value.probability] : undefined;
    const output = trait?.kind === 'model' ? modelOutput(value.probability) : 'probability';
    return [
      {
        audience,
        probabilityTrait: value.probability,
        probabilitySource: probabilitySourceOf(trait, budget.probability_from_score, output),
        orderValueTrait: typeof value.order_value === 'string' ? value.order_value : null,
      },
    ];
  });
}

/** What a profile with these trait values and memberships contributes now. */
export function contributionsOf(
  values: Record<string, unknown>,
  memberships: Record<string, boolean>,
  specs: readonly BudgetValueSpec[],
): Contributions {
  const contributions: Contributions = {};
  for (const spec of specs) {
    if (memberships[spec.audience] !== true) continue;
    const p = probabilityOf(traitAt(values, spec.probabilityTrait), spec.probabilitySource);
    const v = spec.orderValueTrait === null ? undefined : orderValueOf(traitAt(values, spec.orderValueTrait));
    contributions[spec.audience] = { ...(p === undefined ? {} : { p }), ...(v === undefined ? {} : { v }) };
  }
  return contributions;
}

/**
 * The sums' changes when each profile's stored contributions go from `before` to `after` (undefined:
 * none, e.g. a new profile, or one merged away). Audiences whose sums do not change are left out.
 */
export function sumsDeltas(
  changes: Iterable<readonly [Contributions | undefined, Contributions | undefined]>,
): BudgetSumsDelta[] {
  const deltas = new Map<string, BudgetSumsDelta>();
  const add = (audience: string, member: MemberContribution, sign: 1 | -1) => {
    let delta = deltas.get(audience);
    if (delta === undefined) {
      delta = { audience, size: 0, sumProbability: 0, sumOrderValue: 0, countOrderValue: 0 };
      deltas.set(audience, delta);
    }
    delta.size += sign;
    delta.sumProbability += sign * (member.p ?? 0);
    delta.sumOrderValue += sign * (member.v ?? 0);
    delta.countOrderValue += member.v === undefined ? 0 : sign;
  };
  for (const [before = {}, after = {}] of changes) {
    if (before === after) continue;
    for (const [audience, member] of Object.entries(before)) {
      const next = after[audience];
      if (next !== undefined && next.p === member.p && next.v === member.v) continue;
      add(audience, member, -1);
    }
    for (const [audience, member] of Object.entries(after)) {
      const previous = before[audience];
      if (previous !== undefined && previous.p === member.p && previous.v === member.v) continue;
      add(audience, member, 1);
    }
  }
  return [...deltas.values()].filter(
    (delta) =>
      delta.size !== 0 ||
      delta.sumProbability !== 0 ||
      delta.sumOrderValue !== 0 ||
      delta.countOrderValue !== 0,
  );
}
