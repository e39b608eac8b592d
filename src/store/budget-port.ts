import type { AllocationRun, AudienceSums } from '../engine/budget/schema.js';

/**
 * Budget storage (docs/budget.md): the running sums per budget audience and the allocation runs.
 * The sums change only inside a processing commit (`ProcessingCommit.budget`), in the same
 * transaction as the profile states whose contributions they add up, so they always equal the sum of
 * the contributions stored in the profiles. Reading them never touches a profile.
 */

export const BUDGET_TRIGGERS = ['schedule', 'api', 'config'] as const;
/** What started a run: the refresh interval, `POST /admin/api/budget/refresh`, or a changed `budget:`. */
export type BudgetTrigger = (typeof BUDGET_TRIGGERS)[number];

/**
 * One audience's change of sums in a processing step (members entered, left or changed values),
 * added to the stored sums. When the size comes to 0 every sum is set to exactly 0, and when no member
 * has an order value left the order value sum is: adding and taking away floats leaves residues.
 */
export interface BudgetSumsDelta {
  audience: string;
  size: number;
  sumProbability: number;
  sumOrderValue: number;
  countOrderValue: number;
}

export interface NewBudgetRun {
  run: AllocationRun;
  trigger: BudgetTrigger;
  /** The amounts per audience or channel differ from the run before (the first run is a change). */
  changed: boolean;
  /** `run.at` in epoch ms (kept for ordering and pruning). */
  atMs: number;
}

export interface StoredBudgetRun extends NewBudgetRun {
  id: number;
}

export interface BudgetStore {
  /** The running sums of these audiences; an audience that never had a member is absent. */
  budgetSums(audiences: readonly string[]): Promise<Map<string, AudienceSums>>;
  saveBudgetRun(run: NewBudgetRun): Promise<StoredBudgetRun>;
  latestBudgetRun(): Promise<StoredBudgetRun | undefined>;
  /** Runs newest first, at most `limit`, older than run `beforeId` when given. */
  budgetRuns(limit: number, beforeId?: number): Promise<StoredBudgetRun[]>;
  /** Forgets runs made before `beforeMs`, never the latest one; returns how many. */
  pruneBudgetRuns(beforeMs: number): Promise<number>;
}
