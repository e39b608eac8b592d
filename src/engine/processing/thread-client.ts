import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/logger.js';
import type { BackgroundWork } from './background.js';
import type { BackgroundRequest, FromBackground, ThreadData, ToBackground } from './thread-protocol.js';

export interface BackgroundThread extends BackgroundWork {
  /** The background thread's metrics, as Prometheus text. */
  metricsText(): Promise<string>;
}

/** Starts processing and delivery in a worker thread and speaks to it by messages. */
export async function startBackgroundThread(data: ThreadData, logger: Logger): Promise<BackgroundThread> {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './thread-entry-source.mjs' : './thread-entry.js', import.meta.url);
  const worker = new Worker(entry, { workerData: data });
  const waiting = new Map<number, (text: string | undefined) => void>();
  let nextId = 1;
  let stopping = false;
  const send = (message: ToBackground) => worker.postMessage(message);
  const ask = (request: BackgroundRequest) =>
    new Promise<string | undefined>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      send({ type: 'request', request, id });
    });

  await new Promise<void>((resolve, reject) => {
    worker.on('message', (message: FromBackground) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'failed') reject(new Error(`background thread: ${message.message}`));
      else {
        waiting.get(message.id)?.(message.text);
        waiting.delete(message.id);
      }
    });
    worker.once('error', reject);
  });
  worker.on('error', (error) => logger.error({ err: error }, 'background thread failed'));
  worker.on('exit', (code) => {
    if (!stopping) logger.error({ code }, 'background thread exited unexpectedly');
  });
  return {
    wake: () => send({ type: 'wake', intakeCommitAt: Date.now() }),
    wakeDelivery: () => send({ type: 'wake-delivery' }),
    reconfigure: async () => void (await ask('reconfigure')),
    whenIdle: async () => void (await ask('when-idle')),
    metricsText: async () => (await ask('metrics')) ?? '',
    stop: async () => {
      stopping = true;
      await ask('stop');
      await worker.terminate();
    },
  };
}
