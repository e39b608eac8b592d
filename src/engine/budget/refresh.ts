import type { RelayEvent } from '../../delivery/destination.js';
import { BackgroundLoop } from '../../lib/background-loop.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { RelayConfig } from '../../mappings/schema.js';
import type { BudgetTrigger, StoredBudgetRun } from '../../store/budget-port.js';
import type { RelayStore } from '../../store/port.js';
import { allocate } from './allocate.js';
import { allocationChanged, allocationChangedEvent, configFingerprint } from './allocation-event.js';
import { BUDGET_VALUES_DEFINITION } from './contribution.js';
import { allocationInputs } from './inputs.js';

/**
 * Allocation runs (docs/budget.md, "Refresh"): a run reads the running sums of the budget audiences
 * (one store read, never a profile), allocates, stores the run with its trigger, and, when the amounts
 * changed, sends `budget.allocation_changed` to the destinations that take relay events. Runs are
 * made one at a time. While the sums are being rebuilt or recomputed there is no run: an allocation
 * from half-counted sums would be stored as if it were true.
 */

/** Runs older than this are forgotten (the latest one always stays). */
export const RUN_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

export type BudgetRefreshOutcome =
  { kind: 'stored'; run: StoredBudgetRun } | { kind: 'skipped'; reason: string } | { kind: 'not_configured' };

/** What a run needs of the store: the sums, the runs, and whether the sums are final. */
export type BudgetRefreshStore = Pick<
  RelayStore,
  | 'budgetSums'
  | 'saveBudgetRun'
  | 'latestBudgetRun'
  | 'pruneBudgetRuns'
  | 'latestRebuild'
  | 'traitDefinitions'
>;

export interface BudgetRefresherDeps {
  store: BudgetRefreshStore;
  clock: Clock;
  logger: Logger;
  config: () => RelayConfig;
  /** Sends a relay event to the destinations that take them; returns at once. */
  notify: (event: RelayEvent) => void;
}

/**
 * Why the running sums cannot be allocated from now, or undefined: a rebuild is under way, or a
 * backfill is still walking profiles for a budget audience, the traits its values read, or the
 * budget's value specs (`budget:values`).
 */
export async function sumsNotFinal(
  store: Pick<RelayStore, 'latestRebuild' | 'traitDefinitions'>,
  config: RelayConfig,
): Promise<string | undefined> {
  const rebuild = await store.latestRebuild();
  if (rebuild && rebuild.status !== 'done')
    return `a rebuild is running (${rebuild.status}): the running sums are being rebuilt from the event log`;
  const watched = budgetDefinitions(config);
  const pending = (await store.traitDefinitions()).find(
    (row) => row.status === 'backfilling' && watched.has(row.name),
  );
  if (pending)
    return `the running sums are being recomputed: ${pending.name} is backfilling (${pending.done} of ${pending.total} profiles)`;
  return undefined;
}

/** The backfill keys whose progress the sums wait for. */
function budgetDefinitions(config: RelayConfig): Set<string> {
  const keys = new Set([BUDGET_VALUES_DEFINITION]);
  for (const audience of config.budget?.audiences ?? []) {
    keys.add(`audience:${audience}`);
    const value = Object.hasOwn(config.audiences, audience) ? config.audiences[audience]?.value : undefined;
    if (value === undefined) continue;
    keys.add(`trait:${value.probability.split('.')[0] ?? ''}`);
    if (typeof value.order_value === 'string') keys.add(`trait:${value.order_value.split('.')[0] ?? ''}`);
  }
  return keys;
}

export class BudgetRefresher {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: BudgetRefresherDeps) {}

  /** One run, after any run under way. */
  refresh(trigger: BudgetTrigger): Promise<BudgetRefreshOutcome> {
    const next = this.queue.then(() => this.run(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * What the loop should do now: a run with this trigger, or wait this long. A run is due `refresh`
   * after the latest one; a changed `budget:` (or value specs recomputed since the latest run) asks
   * for a `config` run at once.
   */
  async due(): Promise<{ trigger: BudgetTrigger } | { waitMs: number } | undefined> {
    const config = this.deps.config();
    const budget = config.budget;
    if (budget === undefined) return undefined;
    const latest = await this.deps.store.latestBudgetRun();
    if (latest === undefined) return { trigger: 'schedule' };
    const current = allocationInputs(budget, config.audiences, () => undefined);
    if (configFingerprint(latest.run.inputs) !== configFingerprint(current)) return { trigger: 'config' };
    const definitions = await this.deps.store.traitDefinitions();
    const values = definitions.find((row) => row.name === BUDGET_VALUES_DEFINITION);
    if (values !== undefined && values.status === 'ready' && values.updatedAt > latest.atMs)
      return { trigger: 'config' };
    const waitMs = latest.atMs + budget.refresh - this.deps.clock.now();
    return waitMs <= 0 ? { trigger: 'schedule' } : { waitMs };
  }

  private async run(trigger: BudgetTrigger): Promise<BudgetRefreshOutcome> {
    const { store, clock, logger } = this.deps;
    const config = this.deps.config();
    const budget = config.budget;
    if (budget === undefined) return { kind: 'not_configured' };
    const notFinal = await sumsNotFinal(store, config);
    if (notFinal !== undefined) return { kind: 'skipped', reason: notFinal };
    const sums = await store.budgetSums(budget.audiences);
    const atMs = clock.now();
    const run = allocate(
      allocationInputs(budget, config.audiences, (audience) => sums.get(audience)),
      new Date(atMs).toISOString(),
    );
    const previous = await store.latestBudgetRun();
    const changed = allocationChanged(previous?.run, run);
    const stored = await store.saveBudgetRun({ run, trigger, changed, atMs });
    await store.pruneBudgetRuns(atMs - RUN_RETENTION_MS);
    logger.info(
      { run: stored.id, trigger, changed, allocatedCents: run.allocated, unallocatedCents: run.unallocated },
      'budget allocation run stored',
    );
    if (changed) this.deps.notify(allocationChangedEvent(stored, previous));
    return { kind: 'stored', run: stored };
  }
}

/** How long the loop waits while there is nothing to run: a reload wakes it sooner. */
const NOTHING_TO_DO_MS = 60_000;
/** How long the loop waits before trying again while the sums are not final. */
const NOT_FINAL_RETRY_MS = 5_000;

/**
 * Runs allocations on `budget.refresh` (and at once on a `budget:` change) in the process that owns
 * processing, so a run and the sums it reads are never half a processing step apart.
 */
export class BudgetRefreshLoop extends BackgroundLoop {
  constructor(
    private readonly refresher: BudgetRefresher,
    logger: Logger,
  ) {
    super('budget refresh', logger);
  }

  protected async step(): Promise<number> {
    const due = await this.refresher.due();
    if (due === undefined) return NOTHING_TO_DO_MS;
    if ('waitMs' in due) return Math.min(due.waitMs, NOTHING_TO_DO_MS);
    const outcome = await this.refresher.refresh(due.trigger);
    return outcome.kind === 'skipped' ? NOT_FINAL_RETRY_MS : 0;
  }
}
