import { BackgroundLoop } from '../lib/background-loop.js';
import type { Logger } from '../lib/logger.js';
import { parseDuration } from '../lib/duration.js';
import type { Metrics } from '../lib/metrics.js';
import type { DestinationBlock } from '../mappings/destinations-schema.js';
import { mappingPart } from '../mappings/destination-check.js';
import type { RelayStore } from '../store/port.js';
import type { RegisteredDestination, RelayEvent } from './destination.js';
import { DestinationWorker, type WorkerSettings } from './destination-worker.js';
import { fanOutNextPage, type Subscriber } from './fan-out.js';
import { RelayEventSender, type EventChannel } from './notify.js';

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
export class DeliveryRunner extends BackgroundLoop {
  private workers = new Map<string, DestinationWorker>();
  private subscribers: Subscriber[] = [];
  private started = false;
  private readonly events: RelayEventSender;

  constructor(private readonly deps: DeliveryDeps) {
    super('delivery fan-out', deps.logger);
    this.events = new RelayEventSender(deps.logger);
  }

  /**
   * Sends a relay event (e.g. `budget.allocation_changed`) to every enabled destination whose type
   * takes events (src/delivery/notify.ts); nothing while delivery is off. Returns at once.
   */
  notify(event: RelayEvent): void {
    if (!this.started) return;
    const channels = [...this.workers]
      .filter(([, worker]) => worker.eventChannel() !== undefined)
      .map(([name]) => this.channelOf(name));
    void this.events.send(event, channels);
  }

  /** Looked up at each attempt: a destination reconfigured meanwhile is sent through its new worker. */
  private channelOf(name: string): () => EventChannel | undefined {
    return () => this.workers.get(name)?.eventChannel();
  }

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
    if (this.started) for (const worker of next.values()) worker.start();
  }

  override start(): void {
    this.started = true;
    this.events.start();
    for (const worker of this.workers.values()) worker.start();
    super.start();
  }

  override async stop(): Promise<void> {
    this.started = false;
    this.events.stop();
    await super.stop();
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
  }

  /** Moves one page of outbox rows into the destinations' queues and wakes their workers. */
  protected async step(): Promise<number> {
    const moved = await fanOutNextPage(this.deps.store, this.subscribers, Date.now());
    if (moved === 0) return IDLE_MS;
    for (const worker of this.workers.values()) worker.wake();
    return 0;
  }
}
