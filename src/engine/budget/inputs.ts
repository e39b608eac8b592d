import type { AudienceDefinition } from '../../mappings/audiences-schema.js';
import type { BudgetConfig } from '../../mappings/budget-schema.js';
import type { AllocationInputs, AudienceSums } from './schema.js';
import { emptySums } from './sums.js';

/**
 * The inputs of one allocation: the budget as configured and, for each of its audiences (in the
 * order written), the running sums now (`sumsOf`; an audience without any has no members) and the
 * constant order value when `value.order_value` is an amount.
 */
export function allocationInputs(
  budget: BudgetConfig,
  audiences: Record<string, AudienceDefinition>,
  sumsOf: (audience: string) => AudienceSums | undefined,
): AllocationInputs {
  return {
    budget: {
      total: budget.total,
      period: budget.period,
      minAudienceSize: budget.min_audience_size,
      capPerMember: budget.cap_per_member,
      channels: { ...budget.channels },
    },
    audiences: budget.audiences.map((audience) => {
      const orderValue = Object.hasOwn(audiences, audience)
        ? audiences[audience]?.value?.order_value
        : undefined;
      return {
        audience,
        ...(sumsOf(audience) ?? emptySums()),
        constantOrderValue: typeof orderValue === 'number' ? orderValue : null,
      };
    }),
  };
}
