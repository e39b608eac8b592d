import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RelayEnv } from './config/env.js';
import { LiveConfig, type ReloadTrigger } from './config/live-config.js';
import { explainProfile, listAudiences, previewAudience } from './admin/audience-views.js';
import { resolveDeliveryQuery } from './admin/delivery-views.js';
import { viewProfile } from './admin/profile-view.js';
import { rebuildView, type RebuildView } from './admin/rebuild-view.js';
import { scoresAdmin } from './admin/score-view.js';
import { ScoreMonitor } from './engine/scores/monitor.js';
import { TrainingExporter } from './engine/training/export.js';
import { startBackgroundWork, type BackgroundWork } from './engine/processing/background.js';
import { TRAITS_CURSOR, type ProcessingSetup } from './engine/processing/processor.js';
import { startBackgroundThread, type BackgroundThread } from './engine/processing/thread-client.js';
import { buildProcessingSetup } from './engine/processing/setup.js';
import { DESTINATIONS } from './destinations/registry.js';
import { destinationTraitsOf } from './mappings/destination-check.js';
import { matchView } from './admin/match-view.js';
import { audienceCsv } from './admin/audience-export.js';
import { baseUrl, destinationStatuses, startupLines } from './startup-banner.js';
import { budgetAdmin } from './admin/budget-view.js';
import { startHealthMonitor } from './admin/health-monitor.js';
import { createApp } from './http/app.js';
import { Intake } from './ingest/intake.js';
import { SourceDirectory } from './ingest/sources.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { BACKGROUND_METRICS, createMetrics, metricsText, type Metrics } from './lib/metrics.js';
import { formatConfigError } from './mappings/load.js';
import type { RelayConfig } from './mappings/schema.js';
import { openStore } from './store/open-store.js';
import type { RelayStore } from './store/port.js';

export interface RelayOptions {
  env: RelayEnv;
  clock?: Clock;
  logger?: Logger;
  processEnv?: Record<string, string | undefined>;
  /** Start the processing loop (default true); tests of intake alone may turn it off. */
  processing?: boolean;
  /** Start delivery to destinations (default true). */
  delivery?: boolean;
}

export interface RunningRelay {
  url: string;
  port: number;
  store: RelayStore;
  metrics: Metrics;
  config: () => RelayConfig;
  reload: (trigger: ReloadTrigger) => ReturnType<LiveConfig<Derived>['reload']>;
  /** Resolves once every stored event is processed and no backfill is pending. */
  whenIdle: () => Promise<void>;
  /** Stops accepting, lets in-flight requests finish and commit, stops processing, closes the store. */
  close: () => Promise<void>;
  /** What to tell the operator at start-up: where it listens, what is on and off (src/startup-banner.ts). */
  startup: string[];
}

interface Derived {
  sources: SourceDirectory;
  processing: ProcessingSetup;
}

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** The intake counts as busy for this long after a commit (processing then yields to it). */
const INTAKE_BUSY_MS = 50;
const SIZE_SNAPSHOT_INTERVAL_MS = 5 * 60 * 1000;
const TREND_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/** Audience sizes now, as a metric and a point of the trend. */
async function snapshotSizes(
  store: RelayStore,
  config: RelayConfig,
  clock: Clock,
  metrics: Metrics,
): Promise<void> {
  // While a rebuild replays the log, sizes climb back from zero: no trend point for that.
  const rebuild = await store.latestRebuild();
  if (rebuild && rebuild.status !== 'done') return;
  const sizes = await store.audienceSizes();
  const all = Object.fromEntries(Object.keys(config.audiences).map((name) => [name, sizes[name] ?? 0]));
  for (const [audience, size] of Object.entries(all)) metrics.audienceSize.set({ audience }, size);
  await store.recordAudienceSizes(clock.now(), all);
}

/** Forgets dedupe keys past the dedupe window and processed events past the event retention. */
async function pruneExpired(
  store: RelayStore,
  config: RelayConfig,
  clock: Clock,
  logger: Logger,
): Promise<void> {
  try {
    const now = clock.now();
    const dedupeKeys = await store.pruneDedupeKeys(now - config.events.dedupe_window);
    const events = await store.pruneEvents(
      now - config.events.retention,
      await store.readCursor(TRAITS_CURSOR),
    );
    const deliveries = await store.pruneDeliveryLog(now - config.events.delivery_log_retention);
    logger.debug({ dedupeKeys, events, deliveries }, 'pruned expired dedupe keys, events and delivery log');
  } catch (error) {
    logger.warn({ err: error }, 'pruning failed; will try again');
  }
}

/**
 * Processing and delivery: in a worker thread of their own (the default for a running relay), or on
 * this thread when a test injects a clock (a clock cannot cross threads) or PROCESSING_THREAD=false.
 */
async function startBackground(
  options: RelayOptions,
  live: LiveConfig<Derived>,
  store: RelayStore,
  clock: Clock,
  metrics: Metrics,
  logger: Logger,
  lastIntakeCommitAt: () => number,
): Promise<BackgroundWork | BackgroundThread> {
  const { env } = options;
  const processing = options.processing !== false;
  const delivery = options.delivery !== false;
  if (env.PROCESSING_THREAD && options.clock === undefined && processing) {
    return startBackgroundThread({ env, config: live.config, delivery, logLevel: logger.level }, logger);
  }
  return startBackgroundWork({
    store,
    clock,
    metrics,
    logger,
    config: () => live.config,
    setup: () => live.derived.processing,
    destinationTypes: DESTINATIONS,
    batchSize: env.PROCESSING_BATCH_SIZE,
    intakeBusy: () => Date.now() - lastIntakeCommitAt() < INTAKE_BUSY_MS,
    processing,
    delivery,
  });
}

/** This thread's metrics, plus the background thread's when it runs in one. */
async function relayMetricsText(
  metrics: Metrics,
  background: BackgroundWork | BackgroundThread,
): Promise<string> {
  if (!('metricsText' in background)) return metrics.registry.metrics();
  const own = await metricsText(metrics.registry, (name) => !BACKGROUND_METRICS.has(name));
  return own + (await background.metricsText());
}

/** The composition root: configuration -> store -> intake -> HTTP, and store -> processing. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { env } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const metrics = createMetrics();
  // The store's commit hook wakes the processing loop, which needs the store: tied after both exist.
  const wakeProcessing = { wake: () => {} };
  let lastIntakeCommitAt = 0;

  const live = new LiveConfig<Derived>(
    env.MAPPINGS_DIR,
    options.processEnv ?? process.env,
    async (config) => {
      const derived = {
        sources: new SourceDirectory(config.sources),
        processing: buildProcessingSetup(config, env.MAPPINGS_DIR, destinationTraitsOf(DESTINATIONS)),
      };
      return derived;
    },
    DESTINATIONS,
    clock,
    logger,
  );
  const first = await live.reload('startup');
  if (!first.ok) throw new Error(`invalid mapping files:\n${first.errors.map(formatConfigError).join('\n')}`);
  if (first.files.length === 0) {
    throw new Error(`MAPPINGS_DIR ${env.MAPPINGS_DIR}: no mapping files (*.yaml, *.yml) in this directory`);
  }
  if (live.derived.sources.size === 0) {
    logger.warn({ dir: env.MAPPINGS_DIR }, 'no sources configured: every intake request will get 401');
  }

  const store = openStore(env.STORE_URL, {
    synchronous: env.SQLITE_SYNCHRONOUS,
    busyTimeoutMs: env.SQLITE_BUSY_TIMEOUT_MS,
    groupCommitWindowMs: env.GROUP_COMMIT_WINDOW_MS,
    onCommit: ({ items, requests, seconds }) => {
      metrics.commitSeconds.observe(seconds);
      metrics.commitGroupEvents.observe(items);
      metrics.commitGroupRequests.observe(requests);
      lastIntakeCommitAt = Date.now();
      wakeProcessing.wake();
    },
  });
  const background = await startBackground(
    options,
    live,
    store,
    clock,
    metrics,
    logger,
    () => lastIntakeCommitAt,
  );
  wakeProcessing.wake = () => background.wake();
  // Every reload (file change, SIGHUP, admin API) is in force only once the background has taken it:
  // processing, the scheduler, backfill and delivery. The thread answers with its own refusals.
  live.onReloaded(async (config, trigger) => {
    if ('metricsText' in background) return background.reconfigure(config, trigger);
    await background.reconfigure();
    return [];
  });
  const reload = (trigger: ReloadTrigger) => live.reload(trigger);
  const health = startHealthMonitor({
    store,
    clock,
    metrics,
    logger,
    destinations: () => live.config.destinations,
    config: () => ({ dir: env.MAPPINGS_DIR, lastReload: live.lastReload }),
    alertAfterMs: env.DESTINATION_FAILING_ALERT_MS,
  });
  let shuttingDown = false;
  // Score monitoring and training export read the store on this thread (docs/scores.md).
  const readers = { store, clock, logger, config: () => live.config, setup: () => live.derived.processing };
  const scoreMonitor = new ScoreMonitor({ ...readers, metrics });
  const trainingExporter = new TrainingExporter(readers);
  const destinations = () => destinationStatuses(live.config, DESTINATIONS, options.delivery !== false);
  const app = createApp({
    intake: new Intake(store, clock, metrics),
    sources: () => live.derived.sources,
    metrics,
    metricsText: () => relayMetricsText(metrics, background),
    logger,
    store,
    adminToken: env.ADMIN_TOKEN,
    isShuttingDown: () => shuttingDown,
    profile: (kind, value) =>
      viewProfile(store, live.derived.processing.traits, { kind, value }, clock.now()),
    configStatus: async () => ({
      dir: env.MAPPINGS_DIR,
      lastReload: live.lastReload,
      sources: Object.keys(live.config.sources),
      traits: Object.keys(live.config.traits),
      destinations: destinations(),
      backfills: await store.traitDefinitions(),
    }),
    destinations: () => destinations(),
    exportAudience: (name, query, count) =>
      live.config.audiences[name]
        ? audienceCsv(store, live.derived.processing.traits, name, query, clock.now(), count)
        : undefined,
    reloadConfig: () => reload('api'),
    audiences: () => listAudiences(store, live.config.audiences, clock.now() - TREND_WINDOW_MS),
    audienceMembers: async (name, limit) =>
      live.config.audiences[name] ? store.audienceMembers(name, limit) : undefined,
    preview: (request) =>
      previewAudience(store, live.derived.processing, live.config.audiences, request, clock.now()),
    deliveries: async (query) => store.searchDeliveryLog(await resolveDeliveryQuery(store, query)),
    deadLetters: (query) => store.deadLetters(query),
    matches: () => matchView(store, live.config.destinations, DESTINATIONS),
    overview: () => health.overview(),
    replay: async (ids, destination) => {
      const replayed = await store.replayDeadLetters(ids, destination, Date.now());
      background.wakeDelivery();
      return replayed;
    },
    requestRebuild: async () => {
      const { rebuild, created } = await store.requestRebuild(clock.now());
      background.wake(); // the processing loop starts it
      return { rebuild: (await rebuildView(store, rebuild)) as RebuildView, created };
    },
    explain: (kind, value, audience) =>
      explainProfile(store, live.derived.processing, { kind, value }, audience, clock.now()),
    // Runs are made by the background (it owns processing and delivery); this thread reads them.
    budget: budgetAdmin(
      store,
      () => live.config,
      clock,
      () => background.refreshBudget(),
    ),
    scores: scoresAdmin(scoreMonitor, store, () => live.config),
    trainingExport: (query) => trainingExporter.run(query),
  });
  const server = await listen(app, env.PORT, env.HOST);
  const port = (server.address() as AddressInfo).port;
  live.watch();
  const pruneTimer = setInterval(
    () => void pruneExpired(store, live.config, clock, logger),
    PRUNE_INTERVAL_MS,
  );
  pruneTimer.unref();
  const snapshot = () =>
    snapshotSizes(store, live.config, clock, metrics).catch((error: unknown) =>
      logger.warn({ err: error }, 'audience size snapshot failed'),
    );
  const sizeTimer = setInterval(() => void snapshot(), SIZE_SNAPSHOT_INTERVAL_MS);
  sizeTimer.unref();
  // (Rejects only when the background thread is gone, which it logs itself.)
  void background.whenIdle().then(snapshot, () => undefined);
  // The daily score snapshot reads every profile: it first runs once processing has caught up.
  void background.whenIdle().then(
    () => shuttingDown || scoreMonitor.start(),
    () => undefined,
  );
  const statuses = destinations();
  const startup = startupLines({
    host: env.HOST,
    port,
    storeUrl: env.STORE_URL,
    adminApi: env.ADMIN_TOKEN !== undefined,
    mappingsDir: env.MAPPINGS_DIR,
    config: live.config,
    destinations: statuses,
  });
  logger.info(
    {
      port,
      url: baseUrl(env.HOST, port),
      store: store.backend,
      sources: live.derived.sources.size,
      adminApi: env.ADMIN_TOKEN !== undefined ? 'on' : 'off',
      destinationsOn: statuses.filter((status) => status.enabled).map((status) => status.name),
      destinationsOff: statuses.filter((status) => !status.enabled).map((status) => status.name),
    },
    'relay listening',
  );

  const close = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    clearInterval(pruneTimer);
    clearInterval(sizeTimer);
    health.stop();
    live.close();
    await closeServer(server, env.SHUTDOWN_TIMEOUT_MS);
    await scoreMonitor.stop();
    await background.stop();
    await store.close();
    logger.info('relay stopped');
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    store,
    metrics,
    config: () => live.config,
    reload,
    whenIdle: () => background.whenIdle(),
    close,
    startup,
  };
}

function listen(app: ReturnType<typeof createApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
  });
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
