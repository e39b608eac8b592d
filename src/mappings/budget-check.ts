import type { AudienceDefinition } from './audiences-schema.js';
import type { BudgetConfig } from './budget-schema.js';
import type { TraitDefinition } from './traits-schema.js';

/**
 * What `budget:` refers to, checked when files are merged: its audiences must be defined and have a
 * `value:` to rank them by, a rule score used as a probability needs `probability_from_score`, and
 * each channel must be a defined destination. Pure.
 */

export interface BudgetIssue {
  /** Inside the `budget:` section, e.g. `['audiences', 2]`. */
  path: (string | number)[];
  message: string;
}

export function budgetIssues(
  budget: BudgetConfig,
  audiences: Record<string, AudienceDefinition>,
  traits: Record<string, TraitDefinition>,
  destinations: Record<string, unknown>,
): BudgetIssue[] {
  const issues: BudgetIssue[] = [];
  for (const [index, name] of budget.audiences.entries()) {
    const audience = Object.hasOwn(audiences, name) ? audiences[name] : undefined;
    if (audience === undefined) {
      issues.push({ path: ['audiences', index], message: `unknown audience "${name}"` });
      continue;
    }
    if (audience.value === undefined) {
      issues.push({
        path: ['audiences', index],
        message: `audience "${name}" has no value: { probability, order_value } to rank it by`,
      });
      continue;
    }
    const probability = audience.value.probability;
    const trait = Object.hasOwn(traits, probability) ? traits[probability] : undefined;
    if (trait?.kind === 'score' && budget.probability_from_score === undefined)
      issues.push({
        path: ['audiences', index],
        message: `audience "${name}" ranks by the rule score "${probability}": set probability_from_score (logistic or linear) to turn its points into a probability`,
      });
  }
  for (const destination of Object.keys(budget.channels ?? {}))
    if (!Object.hasOwn(destinations, destination))
      issues.push({ path: ['channels', destination], message: `unknown destination "${destination}"` });
  return issues;
}
