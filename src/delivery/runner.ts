import type { Logger } from '../lib/logger.js';
import { parseDuration } from '../lib/duration.js';
import type { Metrics } from '../lib/metrics.js';
import type { DestinationBlock } from '../mappings/destinations-schema.js';
import { mappingPart } from '../mappings/destination-check.js';
import type { RelayStore } from '../store/port.js';
import type { RegisteredDestination } from './destination.js';
import { DestinationWorker, type WorkerSettings } from './destination-worker.js';
import { fanOutNextPage, type Subscriber } from './fan-out.js';
import { WakeableSleep } from '../lib/wakeable-sleep.js';

const DEFAULT_MAX_RETRY_AGE_MS = 4 * 60 * 60 * 1000;
const IDLE_MS = 100;

export interface DeliveryDeps {
  store: RelayStore;
  metrics: Metrics;
  logger: Logger;
  types: Record<string, RegisteredDestination>;
}

/** Builds a worker's settings from a destination block: the type's defaults, overridden by `limits`. */
export function workerSettings(
  name: string,
  block: DestinationBlock,
  type: RegisteredDestination,
): WorkerSettings {
  const destination = type.configure(block.settings, mappingPart(block));
  const limits = destination.limits;
  const defaultRps = limits.requestsPerWindow / (limits.windowMs / 1000);
  return {
    name,
    destination,
    batchSize: Math.min(block.limits?.batch_size ?? limits.batchSize, limits.batchSize),
    requestsPerSecond: block.limits?.requests_per_second ?? defaultRps,
    maxWaitMs: parseDuration(block.limits?.max_wait ?? '') ?? limits.maxWaitMs,
    timeoutMs: parseDuration(block.limits?.timeout ?? '') ?? limits.timeoutMs,
    maxRetryAgeMs: parseDuration(block.limits?.max_retry_age ?? '') ?? DEFAULT_MAX_RETRY_AGE_MS,
  };
}

/** The delivery side: fan-out from the outbox, and one worker per configured destination. */
export class DeliveryRunner {
  private workers = new Map<string, DestinationWorker>();
  private subscribers: Subscriber[] = [];
  private running = false;
  private stopped: Promise<void> = Promise.resolve();
  private readonly idle = new WakeableSleep();

  constructor(private readonly deps: DeliveryDeps) {}

  /** (Re)configures destinations: workers of removed or changed destinations stop, new ones start. */
  async configure(destinations: Record<string, DestinationBlock>): Promise<void> {
    const next = new Map<string, DestinationWorker>();
    const subscribers: Subscriber[] = [];
    for (const [name, block] of Object.entries(destinations)) {
      const type = this.deps.types[block.type];
      if (!type || !block.enabled) continue;
      const settings = workerSettings(name, block, type);
      subscribers.push({
        name,
        audiences: new Set(settings.destination.subscriptions.audiences),
        traits: new Set(settings.destination.subscriptions.traits),
      });
      next.set(name, new DestinationWorker(settings, this.deps));
    }
    const previous = this.workers;
    this.workers = next;
    this.subscribers = subscribers;
    await Promise.all([...previous.values()].map((worker) => worker.stop()));
    if (this.running) for (const worker of next.values()) worker.start();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const worker of this.workers.values()) worker.start();
    this.stopped = this.fanOutLoop();
  }

  /** New outbox rows were committed. */
  wake(): void {
    this.idle.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.stopped;
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
  }

  private async fanOutLoop(): Promise<void> {
    while (this.running) {
      let moved = 0;
      try {
        moved = await fanOutNextPage(this.deps.store, this.subscribers, Date.now());
        if (moved > 0) for (const worker of this.workers.values()) worker.wake();
      } catch (error) {
        this.deps.logger.error({ err: error }, 'delivery fan-out failed; retrying');
      }
      if (moved === 0) await this.idle.sleep(IDLE_MS);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
