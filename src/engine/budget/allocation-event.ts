import { z } from 'zod';
import { canonicalJson } from '../../lib/hash.js';
import type { StoredBudgetRun } from '../../store/budget-port.js';
import { AllocationInputs, ChannelAmount, DecisionReason, type AllocationRun } from './schema.js';

/**
 * When an allocation counts as changed, and the `budget.allocation_changed` event that says so
 * (docs/budget.md, "Allocation changes"). Pure.
 */

export const ALLOCATION_CHANGED = 'budget.allocation_changed';

/** The amounts a run decided: per audience its cents and per channel its part, by audience name. */
export function allocationKey(run: AllocationRun): string {
  const amounts = run.decisions
    .map((decision) => ({
      audience: decision.audience,
      cents: decision.cents,
      channels: decision.channels.map((channel) => [channel.destination, channel.cents]),
    }))
    .sort((a, b) => (a.audience < b.audience ? -1 : a.audience > b.audience ? 1 : 0));
  return canonicalJson(amounts);
}

/** A run changes the allocation when any audience's or channel's amount differs (the first run does). */
export function allocationChanged(previous: AllocationRun | undefined, run: AllocationRun): boolean {
  return previous === undefined || allocationKey(previous) !== allocationKey(run);
}

/** What changes the configuration of an allocation: the budget and which audiences it ranks. */
export function configFingerprint(inputs: AllocationInputs): string {
  return canonicalJson({
    budget: inputs.budget,
    audiences: inputs.audiences.map((input) => [input.audience, input.constantOrderValue]),
  });
}

export const AllocationChangedData = z.object({
  runId: z.number().int(),
  previousRunId: z.number().int().nullable(),
  /** When the run was made (ISO 8601). */
  at: z.string(),
  trigger: z.enum(['schedule', 'api', 'config']),
  period: z.enum(['day', 'week', 'month']),
  /** The previous run's period (null: no previous run), to compare its amounts with these. */
  previousPeriod: z.enum(['day', 'week', 'month']).nullable(),
  /** Money in whole cents of the account currency. */
  totalCents: z.number().int(),
  allocatedCents: z.number().int(),
  unallocatedCents: z.number().int(),
  /** In ranking order. */
  allocations: z.array(
    z.object({
      audience: z.string(),
      rank: z.number().int(),
      cents: z.number().int(),
      /** The audience's amount in the previous run (null: it was not ranked then). */
      previousCents: z.number().int().nullable(),
      reason: DecisionReason,
      explanation: z.string(),
      channels: z.array(ChannelAmount),
      /** The audience's channel split in the previous run (null: it was not ranked then). */
      previousChannels: z.array(ChannelAmount).nullable(),
    }),
  ),
  explanation: z.string(),
});
export type AllocationChangedData = z.infer<typeof AllocationChangedData>;

export function allocationChangedEvent(
  stored: StoredBudgetRun,
  previous: StoredBudgetRun | undefined,
): { type: typeof ALLOCATION_CHANGED; data: AllocationChangedData } {
  const { run } = stored;
  const before = new Map(previous?.run.decisions.map((decision) => [decision.audience, decision]));
  return {
    type: ALLOCATION_CHANGED,
    data: {
      runId: stored.id,
      previousRunId: previous?.id ?? null,
      at: run.at,
      trigger: stored.trigger,
      period: run.inputs.budget.period,
      previousPeriod: previous?.run.inputs.budget.period ?? null,
      totalCents: run.allocated + run.unallocated,
      allocatedCents: run.allocated,
      unallocatedCents: run.unallocated,
      allocations: run.decisions.map((decision) => ({
        audience: decision.audience,
        rank: decision.rank,
        cents: decision.cents,
        previousCents: before.get(decision.audience)?.cents ?? null,
        reason: decision.reason,
        explanation: decision.explanation,
        channels: decision.channels,
        previousChannels: before.get(decision.audience)?.channels ?? null,
      })),
      explanation: run.explanation,
    },
  };
}
