import { formatAmount, formatCount, formatProbability } from './format.js';
import { clampProbability } from './probability.js';
import type { AudienceInput, RankedAudience } from './schema.js';

/**
 * Ranking (docs/budget.md): per audience, mean probability = sum of probabilities / size (a member
 * without one counts 0); average order value = the constant, or sum / count over the members that
 * have one (0 when none has; never below 0); expected value per member = mean probability x average
 * order value, and in total x size. Audiences are ranked by expected value per member, highest first:
 * budget buys reach, and a cap grows with size, so a unit of budget returns most where each member is
 * worth most. Equal values are ranked by name (code-point order), so a ranking is always the same.
 */
export function rankAudiences(audiences: readonly AudienceInput[]): RankedAudience[] {
  const measured = audiences.map(measure);
  measured.sort(
    (a, b) =>
      b.expectedValuePerMember - a.expectedValuePerMember ||
      (a.audience < b.audience ? -1 : a.audience > b.audience ? 1 : 0),
  );
  return measured.map(({ audience, ...measures }, index) => ({ audience, rank: index + 1, ...measures }));
}

function measure(input: AudienceInput): Omit<RankedAudience, 'rank'> {
  const size = input.size;
  const meanProbability = size > 0 ? clampProbability(input.sumProbability / size) : 0;
  const constant = input.constantOrderValue;
  const averageOrderValue =
    constant !== null
      ? constant
      : input.countOrderValue > 0
        ? Math.max(0, input.sumOrderValue / input.countOrderValue)
        : 0;
  const expectedValuePerMember = meanProbability * averageOrderValue;
  const expectedValue = expectedValuePerMember * size;
  const orderValue =
    constant !== null
      ? `order value ${formatAmount(constant)} (constant)`
      : input.countOrderValue > 0
        ? `average order value ${formatAmount(averageOrderValue)}`
        : 'average order value 0.00 (no member has an order value)';
  return {
    audience: input.audience,
    size,
    meanProbability,
    averageOrderValue,
    orderValueFrom: constant !== null ? 'constant' : 'trait',
    expectedValuePerMember,
    expectedValue,
    explanation:
      `${input.audience}: mean probability ${formatProbability(meanProbability)} x ${orderValue}` +
      ` = ${formatAmount(expectedValuePerMember)} per member; x ${formatCount(size)} members` +
      ` = ${formatAmount(expectedValue)}`,
  };
}
