/**
 * The background thread: processing, time-driven re-evaluation, backfill and delivery, on its own
 * SQLite connection and its own core, so the HTTP thread only validates, stores and acknowledges.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LiveConfig } from '../../config/live-config.js';
import { DESTINATIONS } from '../../destinations/registry.js';
import { destinationTraitsOf } from '../../mappings/destination-check.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/logger.js';
import { formatConfigError } from '../../mappings/load.js';
import { BACKGROUND_METRICS, createMetrics, metricsText } from '../../lib/metrics.js';
import { openStore } from '../../store/open-store.js';
import { startBackgroundWork } from './background.js';
import { buildProcessingSetup } from './setup.js';
import type {
  BackgroundReply,
  BackgroundRequest,
  FromBackground,
  ThreadData,
  ToBackground,
} from './thread-protocol.js';

const INTAKE_BUSY_MS = 50;

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('thread-entry runs only as a worker thread');
  const data = workerData as ThreadData;
  const post = (message: FromBackground) => port.postMessage(message);
  const logger = createLogger({
    level: data.logLevel,
    base: { service: 'audience-relay', thread: 'background' },
  });
  const metrics = createMetrics({ processMetrics: false });
  // Takes the configurations the HTTP thread loaded (`use`); it builds its own processing setup
  // from them (model files), which may still refuse one.
  const live = new LiveConfig(
    data.env.MAPPINGS_DIR,
    {},
    async (config) => buildProcessingSetup(config, data.env.MAPPINGS_DIR, destinationTraitsOf(DESTINATIONS)),
    DESTINATIONS,
    systemClock,
    logger,
  );
  const loaded = await live.use(data.config, 'startup');
  if (!loaded.ok) {
    return post({ type: 'failed', message: loaded.errors.map(formatConfigError).join('; ') });
  }
  const store = openStore(data.env.STORE_URL, {
    synchronous: data.env.SQLITE_SYNCHRONOUS,
    busyTimeoutMs: data.env.SQLITE_BUSY_TIMEOUT_MS,
  });
  let lastIntakeCommitAt = 0;
  const work = await startBackgroundWork({
    store,
    clock: systemClock,
    metrics,
    logger,
    config: () => live.config,
    setup: () => live.derived,
    destinationTypes: DESTINATIONS,
    batchSize: data.env.PROCESSING_BATCH_SIZE,
    intakeBusy: () => Date.now() - lastIntakeCommitAt < INTAKE_BUSY_MS,
    processing: true,
    delivery: data.delivery,
  });
  live.onReloaded(async () => {
    await work.reconfigure();
    return [];
  });
  const answer = async (request: BackgroundRequest): Promise<BackgroundReply> => {
    switch (request.type) {
      case 'reconfigure':
        return { errors: (await live.use(request.config, request.trigger)).errors };
      case 'when-idle':
        await work.whenIdle();
        return {};
      case 'metrics':
        return { text: await metricsText(metrics.registry, (name) => BACKGROUND_METRICS.has(name)) };
      case 'budget-refresh':
        return { budget: await work.refreshBudget() };
      case 'stop':
        await work.stop();
        await store.close();
        return {};
    }
  };
  port.on('message', (message: ToBackground) => {
    if (message.type === 'wake') {
      lastIntakeCommitAt = message.intakeCommitAt;
      work.wake();
    } else if (message.type === 'wake-delivery') work.wakeDelivery();
    else {
      answer(message.request).then(
        (reply) => post({ type: 'done', id: message.id, ...reply }),
        (error: unknown) => {
          logger.error({ err: error, request: message.request.type }, 'background request failed');
          post({ type: 'done', id: message.id, failed: (error as Error).message });
        },
      );
    }
  });
  post({ type: 'ready' });
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ type: 'failed', message: (error as Error).message } satisfies FromBackground);
});
