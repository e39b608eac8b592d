import { z } from 'zod';
import { replay } from '../engine/budget/allocate.js';
import { formatCents } from '../engine/budget/format.js';
import { sumsNotFinal, type BudgetRefreshOutcome } from '../engine/budget/refresh.js';
import { AllocationRun, ChannelAmount, DecisionReason } from '../engine/budget/schema.js';
import { canonicalJson } from '../lib/hash.js';
import type { Clock } from '../lib/clock.js';
import type { RelayConfig } from '../mappings/schema.js';
import { BUDGET_TRIGGERS, type StoredBudgetRun } from '../store/budget-port.js';
import type { RelayStore } from '../store/port.js';

/**
 * `GET /admin/api/budget`, `GET /admin/api/budget/history` and `POST /admin/api/budget/refresh`
 * (docs/budget.md, "Admin API and CLI"): the schemas are the answers' types, shared by the API, the
 * CLI (`audience-relay budget`) and any page that shows them. Money is in whole cents, with the
 * amount also written out (`8,360.00`).
 */

/** One audience of a run: its ranking measures next to its decision, in ranking order. */
export const BudgetRow = z.object({
  rank: z.number().int(),
  audience: z.string(),
  size: z.number().int(),
  meanProbability: z.number(),
  averageOrderValue: z.number(),
  orderValueFrom: z.enum(['trait', 'constant']),
  expectedValuePerMember: z.number(),
  expectedValue: z.number(),
  cents: z.number().int(),
  amount: z.string(),
  capCents: z.number().int(),
  reason: DecisionReason,
  /** The ranking's arithmetic: `high_intent: mean probability 0.8200 x ... = 80,688.00`. */
  ranking: z.string(),
  /** The decision's arithmetic and reason: `cart_abandoners: 0, below the minimum size 100 (has 37)`. */
  explanation: z.string(),
  channels: z.array(ChannelAmount),
});
export type BudgetRow = z.infer<typeof BudgetRow>;

export const BudgetRunView = z.object({
  id: z.number().int(),
  at: z.string(),
  trigger: z.enum(BUDGET_TRIGGERS),
  /** The amounts differ from the run before (a `budget.allocation_changed` event was sent). */
  changed: z.boolean(),
  period: z.enum(['day', 'week', 'month']),
  totalCents: z.number().int(),
  allocatedCents: z.number().int(),
  unallocatedCents: z.number().int(),
  total: z.string(),
  allocated: z.string(),
  unallocated: z.string(),
  explanation: z.string(),
  rows: z.array(BudgetRow),
  /** The run as stored: its inputs replay it (`replay` in src/engine/budget/allocate.ts). */
  run: AllocationRun,
});
export type BudgetRunView = z.infer<typeof BudgetRunView>;

/** `GET /admin/api/budget`. */
export const BudgetView = z.object({
  period: z.enum(['day', 'week', 'month']),
  /** `budget.refresh` in milliseconds. */
  refreshMs: z.number().int(),
  /** The latest run (null before the first one). */
  latest: BudgetRunView.nullable(),
  /** When the next scheduled run is due (ISO 8601); a past time means it is due now. */
  nextRefreshAt: z.string(),
  /** Why no run can be made now (a rebuild, a backfill of a budget audience), or null. */
  waiting: z.string().nullable(),
});
export type BudgetView = z.infer<typeof BudgetView>;

export const BudgetHistoryEntry = BudgetRunView.extend({
  /** Replaying the run from its own inputs gives the identical run. */
  replayMatches: z.boolean(),
});
export type BudgetHistoryEntry = z.infer<typeof BudgetHistoryEntry>;

/** `GET /admin/api/budget/history`: newest first. */
export const BudgetHistory = z.object({ runs: z.array(BudgetHistoryEntry) });
export type BudgetHistory = z.infer<typeof BudgetHistory>;

/** What the admin routes ask of the budget; undefined / `not_configured` without `budget:`. */
export interface BudgetAdmin {
  view(): Promise<BudgetView | undefined>;
  history(limit: number, beforeId?: number): Promise<BudgetHistory | undefined>;
  refresh(): Promise<BudgetRefreshOutcome>;
}

export function budgetAdmin(
  store: RelayStore,
  config: () => RelayConfig,
  clock: Clock,
  refresh: () => Promise<BudgetRefreshOutcome>,
): BudgetAdmin {
  return {
    view: async () => {
      const budget = config().budget;
      if (budget === undefined) return undefined;
      const latest = await store.latestBudgetRun();
      const nextAt = latest === undefined ? clock.now() : latest.atMs + budget.refresh;
      return {
        period: budget.period,
        refreshMs: budget.refresh,
        latest: latest === undefined ? null : budgetRunView(latest),
        nextRefreshAt: new Date(nextAt).toISOString(),
        waiting: (await sumsNotFinal(store, config())) ?? null,
      };
    },
    history: async (limit, beforeId) => {
      if (config().budget === undefined) return undefined;
      const runs = await store.budgetRuns(limit, beforeId);
      return {
        runs: runs.map((stored) => ({ ...budgetRunView(stored), replayMatches: replayMatches(stored) })),
      };
    },
    refresh,
  };
}

export function budgetRunView(stored: StoredBudgetRun): BudgetRunView {
  const { run } = stored;
  const decisions = new Map(run.decisions.map((decision) => [decision.audience, decision]));
  const totalCents = run.allocated + run.unallocated;
  return {
    id: stored.id,
    at: run.at,
    trigger: stored.trigger,
    changed: stored.changed,
    period: run.inputs.budget.period,
    totalCents,
    allocatedCents: run.allocated,
    unallocatedCents: run.unallocated,
    total: formatCents(totalCents),
    allocated: formatCents(run.allocated),
    unallocated: formatCents(run.unallocated),
    explanation: run.explanation,
    rows: run.ranking.map((ranked) => {
      const decision = decisions.get(ranked.audience);
      // allocate() decides once per ranked audience: a run without is not one it made.
      if (decision === undefined)
        throw new Error(`budget run ${stored.id} has no decision for ${ranked.audience}`);
      return {
        rank: ranked.rank,
        audience: ranked.audience,
        size: ranked.size,
        meanProbability: ranked.meanProbability,
        averageOrderValue: ranked.averageOrderValue,
        orderValueFrom: ranked.orderValueFrom,
        expectedValuePerMember: ranked.expectedValuePerMember,
        expectedValue: ranked.expectedValue,
        cents: decision.cents,
        amount: formatCents(decision.cents),
        capCents: decision.capCents,
        reason: decision.reason,
        ranking: ranked.explanation,
        explanation: decision.explanation,
        channels: decision.channels,
      };
    }),
    run,
  };
}

/** The stored run against its replay, as JSON (what storage keeps: -0 is 0). */
export function replayMatches(stored: StoredBudgetRun): boolean {
  return canonicalJson(replay(stored.run)) === canonicalJson(stored.run);
}
