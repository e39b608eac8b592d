import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import { DeliveryRunner } from '../../delivery/runner.js';
import type { RegisteredDestination } from '../../delivery/destination.js';
import type { RelayConfig } from '../../mappings/schema.js';
import type { RelayStore } from '../../store/port.js';
import { BudgetRefresher, BudgetRefreshLoop, type BudgetRefreshOutcome } from '../budget/refresh.js';
import { DefinitionBackfill } from './backfill.js';
import { ProcessingLoop } from './loop.js';
import { EventProcessor, type ProcessingSetup } from './processor.js';
import { ProfileRebuild } from './rebuild.js';
import { TimeScheduler } from './scheduler.js';
import { definitionHashes } from './setup.js';

/** Everything that happens after an event is stored: processing, time, backfill, delivery. */
export interface BackgroundWork {
  /** New events were stored. */
  wake(): void;
  /** Dead letters were put back in the queue. */
  wakeDelivery(): void;
  /** The configuration was reloaded: start backfills, reconfigure destinations. */
  reconfigure(): Promise<void>;
  /** Resolves once every stored event is processed and no backfill is pending. */
  whenIdle(): Promise<void>;
  /** An allocation run now, asked for by the admin API (docs/budget.md). */
  refreshBudget(): Promise<BudgetRefreshOutcome>;
  stop(): Promise<void>;
}

export interface BackgroundDeps {
  store: RelayStore;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  config: () => RelayConfig;
  setup: () => ProcessingSetup;
  destinationTypes: Record<string, RegisteredDestination>;
  batchSize: number;
  /** True while the intake is committing events (processing then yields to it). */
  intakeBusy: () => boolean;
  processing: boolean;
  delivery: boolean;
}

export async function startBackgroundWork(deps: BackgroundDeps): Promise<BackgroundWork> {
  const { store, clock, metrics, logger, setup } = deps;
  const backfill = new DefinitionBackfill({
    store,
    clock,
    metrics,
    logger,
    setup,
    definitions: () => definitionHashes(deps.config(), setup()),
  });
  await backfill.reconcile();
  const isSettled = backfill.isSettled;
  const rebuild = new ProfileRebuild({
    store,
    clock,
    metrics,
    logger,
    setup,
    isSettled,
    afterStart: () => backfill.reconcile(),
  });
  await rebuild.init();
  const processor = new EventProcessor({
    store,
    clock,
    metrics,
    logger,
    // A rebuild replays history: like a backfill, windowed traits take every event, however late.
    setup: () => (rebuild.replaying ? replaySetup(setup()) : setup()),
    isSettled,
    batchSize: deps.batchSize,
  });
  const scheduler = new TimeScheduler({ store, clock, metrics, setup, isSettled });
  const loop = new ProcessingLoop(deps.intakeBusy, processor, scheduler, backfill, rebuild, logger);
  const delivery = new DeliveryRunner({ store, metrics, logger, types: deps.destinationTypes });
  await delivery.configure(deps.config().destinations);
  // Allocation runs read the sums processing keeps: they run beside it, and tell delivery of changes.
  const budget = new BudgetRefresher({
    store,
    clock,
    logger,
    config: deps.config,
    notify: (event) => delivery.notify(event),
  });
  const budgetLoop = new BudgetRefreshLoop(budget, logger);
  if (deps.delivery) delivery.start();
  if (deps.processing) loop.start();
  if (deps.processing) budgetLoop.start();
  return {
    wake: () => loop.wake(),
    wakeDelivery: () => delivery.wake(),
    reconfigure: async () => {
      await backfill.reconcile();
      await delivery.configure(deps.config().destinations);
      loop.wake();
      budgetLoop.wake();
    },
    whenIdle: () => (deps.processing ? loop.whenIdle() : Promise.resolve()),
    refreshBudget: () => budget.refresh('api'),
    stop: async () => {
      await budgetLoop.stop();
      await loop.stop();
      await delivery.stop();
    },
  };
}

/** The setup a rebuild replays events with: no event is late (it is history, as in a backfill). */
function replaySetup(setup: ProcessingSetup): ProcessingSetup {
  return { ...setup, traits: { ...setup.traits, allowedLatenessMs: Number.POSITIVE_INFINITY } };
}
