import { Worker } from 'node:worker_threads';
import type { ReloadTrigger } from '../../config/live-config.js';
import type { Logger } from '../../lib/logger.js';
import type { ConfigError } from '../../mappings/config-error.js';
import type { RelayConfig } from '../../mappings/schema.js';
import type { BackgroundWork } from './background.js';
import type {
  BackgroundReply,
  BackgroundRequest,
  FromBackground,
  ThreadData,
  ToBackground,
} from './thread-protocol.js';

export interface BackgroundThread extends Omit<BackgroundWork, 'reconfigure'> {
  /**
   * Hands the thread a configuration this thread loaded and waits until it is in force there:
   * resolves with the thread's reasons to refuse it (it then keeps its previous one), or none.
   */
  reconfigure(config: RelayConfig, trigger: ReloadTrigger): Promise<ConfigError[]>;
  /** The background thread's metrics, as Prometheus text. */
  metricsText(): Promise<string>;
}

/** Starts processing and delivery in a worker thread and speaks to it by messages. */
export async function startBackgroundThread(data: ThreadData, logger: Logger): Promise<BackgroundThread> {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './thread-entry-source.mjs' : './thread-entry.js', import.meta.url);
  const worker = new Worker(entry, { workerData: data });
  const waiting = new Map<
    number,
    { resolve: (reply: BackgroundReply) => void; reject: (e: Error) => void }
  >();
  let nextId = 1;
  let stopping = false;
  /** Set once the thread is gone: requests then fail instead of waiting forever. */
  let gone: Error | undefined;
  const send = (message: ToBackground) => worker.postMessage(message);
  const ask = (request: BackgroundRequest) =>
    new Promise<BackgroundReply>((resolve, reject) => {
      if (gone) return reject(gone);
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      send({ type: 'request', request, id });
    });

  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromBackground) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'failed') reject(new Error(`background thread: ${message.message}`));
      else {
        const request = waiting.get(message.id);
        waiting.delete(message.id);
        if (message.failed === undefined) request?.resolve(message);
        else request?.reject(new Error(`background thread: ${message.failed}`));
      }
    });
    worker.once('error', reject);
  });
  worker.on('error', (error) => logger.error({ err: error }, 'background thread failed'));
  worker.on('exit', (code) => {
    gone = new Error(`background thread exited (code ${code})`);
    for (const request of waiting.values()) request.reject(gone);
    waiting.clear();
    if (!stopping) logger.error({ code }, 'background thread exited unexpectedly');
  });
  return {
    wake: () => send({ type: 'wake', intakeCommitAt: Date.now() }),
    wakeDelivery: () => send({ type: 'wake-delivery' }),
    reconfigure: async (config, trigger) => {
      const { errors = [] } = await ask({ type: 'reconfigure', config, trigger });
      return errors.map((error) => ({ ...error, message: `background thread: ${error.message}` }));
    },
    whenIdle: async () => void (await ask({ type: 'when-idle' })),
    metricsText: async () => (await ask({ type: 'metrics' })).text ?? '',
    refreshBudget: async () =>
      (await ask({ type: 'budget-refresh' })).budget ?? {
        kind: 'skipped',
        reason: 'no answer from the background thread',
      },
    stop: async () => {
      stopping = true;
      // A failed stop was logged by the thread; it is terminated either way.
      if (!gone) await ask({ type: 'stop' }).catch(() => undefined);
      await worker.terminate();
    },
  };
}
