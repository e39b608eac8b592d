import { BackgroundLoop } from '../../lib/background-loop.js';
import type { Logger } from '../../lib/logger.js';
import type { DefinitionBackfill } from './backfill.js';
import type { EventProcessor } from './processor.js';
import type { ProfileRebuild } from './rebuild.js';
import type { TimeScheduler } from './scheduler.js';

const IDLE_POLL_MS = 200;
const MAX_REST_MS = 100;

/**
 * Runs event processing, time-driven re-evaluation, backfill and rebuild steps one after the other
 * (so one profile is only ever changed by one step at a time), yielding to the event loop between steps so
 * HTTP intake is never starved. When idle it sleeps until the next profile is due (at most
 * IDLE_POLL_MS); `wake()` cuts the wait short when events arrive.
 */
export class ProcessingLoop extends BackgroundLoop {
  private idleWaiters: (() => void)[] = [];

  constructor(
    /** True while the intake is committing events: processing then leaves it most of the thread. */
    private readonly intakeBusy: () => boolean,
    private readonly processor: EventProcessor,
    private readonly scheduler: TimeScheduler,
    private readonly backfill: DefinitionBackfill,
    private readonly rebuild: ProfileRebuild,
    logger: Logger,
  ) {
    super('processing', logger);
  }

  /** Resolves the next time the loop finds nothing to do (every event processed, no backfill or rebuild). */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.wake();
    });
  }

  protected async step(): Promise<number> {
    const started = Date.now();
    const worked =
      (await this.processor.processNextBatch()) +
      (await this.scheduler.step()) +
      (await this.backfill.step()) +
      (await this.rebuild.step());
    if (worked > 0) {
      // A rest that new events must not cut short (wake() would), hence a plain timer.
      const rest = this.yieldToIntake(Date.now() - started);
      if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      return 0;
    }
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    const untilDue = await this.scheduler.msUntilNext().catch(() => undefined);
    return Math.max(1, Math.min(IDLE_POLL_MS, untilDue ?? IDLE_POLL_MS));
  }

  /**
   * Acknowledging events is what senders wait for; processing only has to keep up on average. While
   * the intake is busy, each processing step is followed by a rest twice as long as the step, so
   * processing takes at most a third of the thread and its backlog is caught up when load drops
   * (the lag is `relay_processing_lag_seconds`).
   */
  private yieldToIntake(stepMs: number): number {
    return this.intakeBusy() ? Math.min(MAX_REST_MS, stepMs * 2) : 0;
  }
}
