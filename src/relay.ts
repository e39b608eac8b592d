import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RelayEnv } from './config/env.js';
import { createApp } from './http/app.js';
import { Intake } from './ingest/intake.js';
import { SourceDirectory } from './ingest/sources.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './lib/metrics.js';
import { formatConfigError, loadMappings } from './mappings/load.js';
import type { RelayConfig } from './mappings/schema.js';
import { openStore } from './store/open-store.js';
import type { EventStore } from './store/port.js';

export interface RelayOptions {
  env: RelayEnv;
  clock?: Clock;
  logger?: Logger;
  processEnv?: Record<string, string | undefined>;
}

export interface RunningRelay {
  url: string;
  port: number;
  store: EventStore;
  metrics: Metrics;
  config: () => RelayConfig;
  /** Stops accepting, lets in-flight requests finish and commit, then closes the store. */
  close: () => Promise<void>;
}

const DEDUPE_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/** The composition root: configuration -> store -> intake -> HTTP. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { env } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger();
  const loaded = loadMappings(env.MAPPINGS_DIR, options.processEnv ?? process.env);
  if (!loaded.ok) {
    throw new Error(`invalid mapping files:\n${loaded.errors.map(formatConfigError).join('\n')}`);
  }
  const config = loaded.config;
  const sources = new SourceDirectory(config.sources);
  if (sources.size === 0)
    logger.warn({ dir: env.MAPPINGS_DIR }, 'no sources configured: every intake request will get 401');

  const metrics = createMetrics();
  const store = openStore(env.STORE_URL, {
    synchronous: env.SQLITE_SYNCHRONOUS,
    busyTimeoutMs: env.SQLITE_BUSY_TIMEOUT_MS,
    groupCommitWindowMs: env.GROUP_COMMIT_WINDOW_MS,
    onCommit: ({ items, requests, seconds }) => {
      metrics.commitSeconds.observe(seconds);
      metrics.commitGroupEvents.observe(items);
      metrics.commitGroupRequests.observe(requests);
    },
  });
  let shuttingDown = false;
  const intake = new Intake(store, clock, metrics);
  const app = createApp({
    intake,
    sources: () => sources,
    metrics,
    logger,
    store,
    adminToken: env.ADMIN_TOKEN,
    isShuttingDown: () => shuttingDown,
  });
  const server = await listen(app, env.PORT, env.HOST);
  const port = (server.address() as AddressInfo).port;
  const pruneTimer = setInterval(() => {
    store
      .pruneDedupeKeys(clock.now() - config.events.dedupe_window)
      .then((pruned) => logger.debug({ pruned }, 'pruned dedupe keys'))
      .catch((error: unknown) => logger.warn({ err: error }, 'dedupe pruning failed'));
  }, DEDUPE_PRUNE_INTERVAL_MS);
  pruneTimer.unref();
  logger.info(
    { port, store: store.backend, sources: sources.size, files: loaded.files.length },
    'relay listening',
  );

  const close = async () => {
    if (shuttingDown) return;
    shuttingDown = true;
    clearInterval(pruneTimer);
    await closeServer(server, env.SHUTDOWN_TIMEOUT_MS);
    await store.close();
    logger.info('relay stopped');
  };
  return { url: `http://127.0.0.1:${port}`, port, store, metrics, config: () => config, close };
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
