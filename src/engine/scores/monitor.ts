import { BackgroundLoop } from '../../lib/background-loop.js';
import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import type { RelayConfig } from '../../mappings/schema.js';
import type { RelayStore } from '../../store/port.js';
import type { ScoreSnapshot } from '../../store/score-port.js';
import type { ProcessingSetup } from '../processing/processor.js';
import { driftVerdict } from './psi.js';
import { scoreSeriesOf, untilNextDay, utcDay, type ScoreSeries } from './series.js';
import { countScores, snapshotWithDrift } from './snapshot.js';

/** How often the loop looks again at the latest (a reload may add a score trait). */
const CHECK_EVERY_MS = 60 * 60 * 1000;
/** While a rebuild or a trait backfill runs, values are partial: the snapshot waits. */
const BLOCKED_RETRY_MS = 60 * 1000;
const DAY_MS = 86_400_000;

export interface ScoreMonitorDeps {
  store: RelayStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  config: () => RelayConfig;
  setup: () => ProcessingSetup;
}

export type SnapshotResult = { ok: true; snapshots: ScoreSnapshot[] } | { ok: false; reason: string };

/**
 * Score monitoring's daily job (docs/scores.md): once a UTC day (at start-up when today's snapshot is
 * missing, then after each midnight), every score series' histogram of the current population is
 * stored with its PSI against the reference day; a PSI over `scores.psi_threshold` is a warning in
 * the log and the admin API, and every PSI is the metric `relay_score_psi{trait}`. It runs on the
 * thread that serves the admin API and reads profiles through the store; `snapshotNow` takes one on
 * demand. Snapshots never run concurrently.
 */
export class ScoreMonitor extends BackgroundLoop {
  private queue: Promise<unknown> = Promise.resolve();
  private restored = false;

  constructor(private readonly deps: ScoreMonitorDeps) {
    super('score-monitor', deps.logger);
  }

  /** The latest stored PSI of every configured series as metrics (they do not survive a restart). */
  private async restoreMetrics(): Promise<void> {
    const configured = new Set(scoreSeriesOf(this.deps.config().traits).map((entry) => entry.series));
    for (const snapshot of await this.deps.store.latestScoreSnapshots())
      if (configured.has(snapshot.series) && snapshot.psi !== null)
        this.deps.metrics.scorePsi.set({ trait: snapshot.series }, snapshot.psi);
  }

  /** Today's snapshot of every series, taken now (replacing any of today's). */
  snapshotNow(): Promise<SnapshotResult> {
    return this.exclusive(async () => {
      const blocked = await this.blockedBy();
      if (blocked !== undefined) return { ok: false, reason: blocked };
      return { ok: true, snapshots: await this.take(scoreSeriesOf(this.deps.config().traits)) };
    });
  }

  protected async step(): Promise<number> {
    try {
      return await this.scheduled();
    } catch (error) {
      // A bug: logged, and tried again later rather than a full profile scan every second.
      this.deps.logger.error({ err: error }, 'score snapshot failed; trying again in an hour');
      return CHECK_EVERY_MS;
    }
  }

  /** Takes the snapshot of each series that has none today; resolves with how long to wait. */
  private scheduled(): Promise<number> {
    return this.exclusive(async () => {
      if (!this.restored) {
        await this.restoreMetrics();
        this.restored = true;
      }
      const now = this.deps.clock.now();
      const series = scoreSeriesOf(this.deps.config().traits);
      const latest = new Map(
        (await this.deps.store.latestScoreSnapshots()).map((snapshot) => [snapshot.series, snapshot.day]),
      );
      const due = series.filter((entry) => latest.get(entry.series) !== utcDay(now));
      if (due.length > 0) {
        const blocked = await this.blockedBy();
        if (blocked !== undefined) {
          this.deps.logger.debug({ reason: blocked }, 'score snapshot waits');
          return BLOCKED_RETRY_MS;
        }
        await this.take(due);
      }
      // A second past midnight, so the clock reads the new day.
      return Math.min(CHECK_EVERY_MS, untilNextDay(this.deps.clock.now()) + 1000);
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Why values are partial now (a rebuild or a trait backfill runs), or undefined. */
  private async blockedBy(): Promise<string | undefined> {
    const rebuild = await this.deps.store.latestRebuild();
    if (rebuild && rebuild.status !== 'done')
      return `rebuild ${rebuild.id} is running: scores are snapshotted once it is done`;
    const backfilling = (await this.deps.store.traitDefinitions())
      .filter((row) => row.status === 'backfilling' && row.name.startsWith('trait:'))
      .map((row) => row.name.slice('trait:'.length));
    if (backfilling.length > 0)
      return `trait backfill running (${backfilling.join(', ')}): scores are snapshotted once it is done`;
    return undefined;
  }

  private async take(series: ScoreSeries[]): Promise<ScoreSnapshot[]> {
    if (series.length === 0) return [];
    const { store, clock, config, setup, logger, metrics } = this.deps;
    const now = clock.now();
    const day = utcDay(now);
    const { scores } = config();
    const counts = await countScores(store, setup(), series, scores.bins, now);
    const snapshots: ScoreSnapshot[] = [];
    for (const [name, count] of counts)
      snapshots.push(await snapshotWithDrift(store, name, count, day, scores.reference / DAY_MS, now));
    await store.saveScoreSnapshots(snapshots);
    for (const snapshot of snapshots) {
      if (snapshot.psi === null) metrics.scorePsi.remove({ trait: snapshot.series });
      else metrics.scorePsi.set({ trait: snapshot.series }, snapshot.psi);
      const verdict = driftVerdict(snapshot.series, snapshot.psi, scores.psi_threshold);
      if (verdict.drifted)
        logger.warn(
          {
            trait: snapshot.series,
            psi: snapshot.psi,
            threshold: scores.psi_threshold,
            day,
            referenceDay: snapshot.referenceDay,
          },
          verdict.message,
        );
    }
    logger.info({ day, series: snapshots.length }, 'score snapshot taken');
    return snapshots;
  }
}
