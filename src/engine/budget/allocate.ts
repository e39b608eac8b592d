import { describeSplit, splitByChannel } from './channels.js';
import { formatCents, formatCount, formatRate } from './format.js';
import { centsOf, wholeCentsDown } from './money.js';
import { rankAudiences } from './rank.js';
import type {
  AllocationDecision,
  AllocationInputs,
  AllocationRun,
  BudgetInput,
  DecisionReason,
  RankedAudience,
} from './schema.js';

/**
 * Allocation (docs/budget.md): walk down the ranking with the total in cents; an audience below the
 * minimum size, or without expected value, gets 0; every other takes min(what is left, its cap), its
 * cap being size x cap per member in whole cents rounded down; what no audience can take stays
 * unallocated. Each decision says why in words, with its arithmetic. Pure and deterministic: `at` is
 * only recorded, and `replay(run)` recomputes the same run from `run.inputs`.
 */
export function allocate(inputs: AllocationInputs, at: string): AllocationRun {
  // Recorded as storage keeps them (through JSON: -0 becomes 0), so a stored run replays identically.
  const recorded = JSON.parse(JSON.stringify(inputs)) as AllocationInputs;
  const { budget } = recorded;
  const ranking = rankAudiences(recorded.audiences);
  const totalCents = centsOf(budget.total);
  let remaining = totalCents;
  const decisions = ranking.map((ranked) => {
    const decision = decide(ranked, budget, remaining);
    remaining = decision.remainingAfterCents;
    return decision;
  });
  const allocated = totalCents - remaining;
  return {
    at,
    inputs: recorded,
    ranking,
    decisions,
    allocated,
    unallocated: remaining,
    explanation: summarize(decisions, totalCents, allocated),
  };
}

/** The same run again, from its own inputs: identical decisions, or the allocation logic changed. */
export function replay(run: AllocationRun): AllocationRun {
  return allocate(run.inputs, run.at);
}

function decide(ranked: RankedAudience, budget: BudgetInput, remaining: number): AllocationDecision {
  const { audience, size } = ranked;
  const capCents = wholeCentsDown(size * budget.capPerMember * 100);
  const capText = `size ${formatCount(size)} x cap ${formatRate(budget.capPerMember)}`;
  const outcome = (cents: number, reason: DecisionReason, explanation: string): AllocationDecision => {
    const split = splitByChannel(cents, budget.channels);
    const splitText = split.parts.length > 0 && cents > 0 ? `; ${describeSplit(split)}` : '';
    return {
      audience,
      rank: ranked.rank,
      cents,
      capCents,
      remainingBeforeCents: remaining,
      remainingAfterCents: remaining - cents,
      reason,
      explanation: `${audience}: ${explanation}${splitText}`,
      channels: split.parts,
    };
  };
  if (size < budget.minAudienceSize)
    return outcome(
      0,
      'below_minimum_size',
      `0, below the minimum size ${formatCount(budget.minAudienceSize)} (has ${formatCount(size)})`,
    );
  if (!(ranked.expectedValuePerMember > 0)) {
    const orderValue = ranked.orderValueFrom === 'constant' ? 'order value' : 'average order value';
    const why = ranked.meanProbability > 0 ? `${orderValue} 0.00` : 'mean probability 0.0000';
    return outcome(0, 'no_expected_value', `0, no expected value (${why})`);
  }
  if (remaining === 0)
    return outcome(
      0,
      'budget_spent',
      `0, nothing is left of the budget (its cap would be ${formatCents(capCents)})`,
    );
  if (capCents <= remaining)
    return outcome(
      capCents,
      'saturated',
      `${formatCents(capCents)} = ${capText} (saturated); ${formatCents(remaining - capCents)} left`,
    );
  return outcome(
    remaining,
    'rest_of_budget',
    `${formatCents(remaining)}, the rest of the budget (its cap is ${formatCents(capCents)} = ${capText}); 0.00 left`,
  );
}

function summarize(decisions: AllocationDecision[], totalCents: number, allocated: number): string {
  if (totalCents === 0) return 'Nothing to allocate: the budget is 0.00.';
  const funded = decisions.filter((decision) => decision.cents > 0).length;
  const head = `Allocated ${formatCents(allocated)} of ${formatCents(totalCents)} to ${funded} of ${decisions.length} audiences`;
  const unallocated = totalCents - allocated;
  if (unallocated === 0) return `${head}; nothing left.`;
  const namesWith = (reason: DecisionReason) =>
    decisions.filter((decision) => decision.reason === reason).map((decision) => decision.audience);
  const excluded = [
    [namesWith('below_minimum_size'), 'below the minimum size'],
    [namesWith('no_expected_value'), 'without expected value'],
  ] as const;
  const why = excluded
    .filter(([names]) => names.length > 0)
    .map(([names, what]) => `${what}: ${names.join(', ')}`)
    .join('; ');
  const because =
    decisions.length === 0
      ? 'the budget has no audiences'
      : namesWith('saturated').length > 0
        ? 'every audience that can take budget is at its cap'
        : 'no audience can take budget';
  return `${head}; ${formatCents(unallocated)} unallocated: ${because}${why ? ` (${why})` : ''}.`;
}
