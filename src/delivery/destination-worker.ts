import Bottleneck from 'bottleneck';
import { BackgroundLoop } from '../lib/background-loop.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { DeliveryLogEntry, DeliveryResult, PendingChange } from '../store/delivery-port.js';
import type { RelayStore } from '../store/port.js';
import { AsyncResultPoller } from './async-poller.js';
import { deliveryItem } from './delivery-item.js';
import type {
  BuildResult,
  BuiltRequest,
  Classified,
  ConfiguredDestination,
  DeliveryItem,
  HttpResult,
  ItemOutcome,
  Transport,
} from './destination.js';
import { FOLD_RULES, isUnknownTrait } from './fold.js';
import { createHttpClient, httpTransport } from './http-client.js';
import { redactIdentifiers } from './match-keys.js';
import { PauseControl } from './pause-control.js';
import type { EventChannel } from './notify.js';
import { isEmpty, netChange, reconcilePending } from './pending.js';
import { responseExcerpt } from './redact.js';
import { settleBatch, type BatchEntry, type RequestRun } from './settle-batch.js';

export interface WorkerSettings {
  name: string;
  destination: ConfiguredDestination;
  batchSize: number;
  /** Requests per second the limiter spaces evenly (never more in any sliding second). */
  requestsPerSecond: number;
  maxWaitMs: number;
  /** How long one request may take; then it counts as a timeout and its items are retried. */
  timeoutMs: number;
  maxRetryAgeMs: number;
}

const IDLE_MS = 100;

/**
 * One destination's delivery: its own queue reader, rate limiter and transport, so a destination
 * that is down, slow or throttled never delays another. A profile is never in two requests at once
 * for the same keys, and every request carries its profiles' latest state, so changes reach the
 * destination in order. The destination's pure functions decide what to send and what an answer
 * means; everything they throw is a bug outcome for the items concerned (retried, then dead-lettered).
 */
export class DestinationWorker extends BackgroundLoop {
  private readonly limiter: Bottleneck;
  private readonly transport: Transport;
  private readonly pause: PauseControl;
  private readonly poller: AsyncResultPoller | undefined;
  private prepared: boolean;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly deps: { store: RelayStore; metrics: Metrics; logger: Logger },
  ) {
    super(`delivery to ${settings.name}`, deps.logger);
    // Evenly spaced requests (with 2 % headroom) never exceed a sliding-window limit, unlike a
    // fixed-window reservoir that can burst twice the limit across a window edge.
    const minTime = Math.ceil((1000 / settings.requestsPerSecond) * 1.02);
    this.limiter = new Bottleneck({ minTime, maxConcurrent: 4 });
    const { destination } = settings;
    this.transport = destination.transport?.() ?? httpTransport(createHttpClient(settings.timeoutMs));
    this.pause = new PauseControl(settings.name, deps.metrics);
    this.prepared = destination.prepare === undefined;
    this.poller = destination.asyncResult
      ? new AsyncResultPoller(settings.name, destination.asyncResult, (request) => this.send(request), deps)
      : undefined;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.limiter.stop({ dropWaitingJobs: false }).catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }

  /** Sends at most one batch; returns how long to wait before the next step (0 = go on). */
  protected async step(): Promise<number> {
    const now = Date.now();
    const pausedFor = this.pause.remainingMs(now);
    if (pausedFor > 0) return pausedFor;
    if (!this.prepared) return this.prepare();
    const { store, metrics } = this.deps;
    const { name, batchSize, maxWaitMs } = this.settings;
    await this.poller?.pollDue(now);
    metrics.deliveryQueueDepth.set({ destination: name }, await store.pendingCount(name));
    const due = await store.duePending(name, now, batchSize);
    if (due.length === 0) return IDLE_MS;
    const oldest = Math.min(...due.map((p) => p.enqueuedAt));
    const retrying = due.some((p) => p.attempts > 0);
    if (due.length < batchSize && !retrying && now - oldest < maxWaitMs)
      return Math.min(IDLE_MS, oldest + maxWaitMs - now);
    await this.deliver(due);
    return 0;
  }

  /** How relay events reach this destination (notify.ts): undefined when its type takes none. */
  eventChannel(): EventChannel | undefined {
    const { name, destination } = this.settings;
    if (destination.notify === undefined) return undefined;
    return { name, destination, pause: this.pause, send: (request) => this.send(request), ...this.deps };
  }

  /** Finds or creates what the mapping names (e.g. a HubSpot list) before the first batch. */
  private async prepare(): Promise<number> {
    try {
      await this.settings.destination.prepare?.((request) => this.send(request));
      this.prepared = true;
      return 0;
    } catch (error) {
      const waitMs = this.pause.failedPreparation(Date.now());
      this.deps.logger.warn(
        {
          destination: this.settings.name,
          reason: redactIdentifiers(String((error as Error).message ?? error)),
        },
        'destination set-up failed; retrying',
      );
      return waitMs;
    }
  }

  private send(request: BuiltRequest): Promise<HttpResult> {
    return this.limiter.schedule(() => this.transport.send(request));
  }

  private async deliver(due: PendingChange[]): Promise<void> {
    const { store } = this.deps;
    const { name } = this.settings;
    const ids = due.map((p) => p.profileId);
    const [profiles, held, memory] = await Promise.all([
      store.loadProfiles(ids).then((list) => new Map(list.map((p) => [p.id, p]))),
      store.heldKeys(name, ids),
      store.destinationMemory(name, ids),
    ]);
    const entries: BatchEntry[] = [];
    const items: DeliveryItem[] = [];
    const nothingToSend: DeliveryResult[] = [];
    for (const pending of due) {
      const snapshot = { version: pending.version, audiences: pending.audiences, traits: pending.traits };
      const delivered = await store.deliveredState(name, pending.profileId);
      const net = netChange(snapshot, delivered);
      if (isEmpty(net)) {
        nothingToSend.push({ profileId: pending.profileId, kind: 'delivered', sent: snapshot });
        continue;
      }
      entries.push({ pending, snapshot, net });
      const refs = profiles.get(pending.profileId)?.identifiers ?? [];
      const told = Object.fromEntries(
        Object.entries(delivered?.traits ?? {}).filter(([, value]) => !isUnknownTrait(value)),
      );
      items.push(
        deliveryItem({
          profileId: pending.profileId,
          version: pending.version,
          identifiers: firstOfEachKind(refs),
          allIdentifiers: refs,
          audiences: net.audiences,
          traits: net.traits,
          knownTraits: { ...told, ...pending.traits },
          held: held.get(pending.profileId) ?? {},
          memory: memory.get(pending.profileId) ?? {},
          causedBy: pending.causedBy,
        }),
      );
    }
    if (nothingToSend.length > 0)
      await store.settleDelivery(name, nothingToSend, Date.now(), reconcilePending, [], FOLD_RULES);
    if (items.length > 0) await this.sendBatch(entries, items);
  }

  private async sendBatch(entries: BatchEntry[], items: DeliveryItem[]): Promise<void> {
    const { name, destination } = this.settings;
    const log: DeliveryLogEntry[] = [];
    let built: BuildResult;
    try {
      built = destination.buildBatch(items);
    } catch (error) {
      const reason = this.bug('build', error);
      built = { requests: [], skipped: [], deferred: items.map((_, item) => ({ item, reason })) };
      log.push(
        this.logEntry(
          entries,
          'bug',
          Date.now(),
          0,
          items.map((_, i) => i),
          '',
          reason,
        ),
      );
    }
    if (built.skipped.length > 0) {
      const reasons = [...new Set(built.skipped.map((s) => s.reason))].join('; ');
      log.push(
        this.logEntry(
          entries,
          'skipped',
          Date.now(),
          0,
          built.skipped.map((s) => s.item),
          '',
          reasons,
        ),
      );
    }
    const runs: RequestRun[] = [];
    for (const request of built.requests) {
      if (this.pause.remainingMs(Date.now()) > 0) {
        // Throttled by an earlier request of this batch: the rest waits, unsent.
        runs.push({ request, outcomes: request.items.map(() => this.pause.asRetry()) });
        continue;
      }
      const started = Date.now();
      const result = await this.send(request);
      const finished = Date.now();
      const classified = this.classify(result, request);
      if (classified.signal) this.pause.signal(classified.signal, finished);
      else if (result.kind === 'response' && result.status < 300) this.pause.succeeded();
      runs.push({ request, outcomes: classified.items });
      const status = result.kind === 'response' ? String(result.status) : result.kind;
      log.push({
        ...this.logEntry(entries, status, started, finished - started, request.items, '', ''),
        requestBody: safeJson(() => destination.redactBody(request.body)),
        responseExcerpt: result.kind === 'response' ? responseExcerpt(result.body) : '',
        outcome: summarize(classified.items),
        ...(request.audience !== undefined ? { audience: request.audience } : {}),
        ...(classified.report ? { report: classified.report } : {}),
        ...this.asyncFields(classified, finished),
      });
      this.deps.metrics.deliveryRequestsTotal.inc({ destination: name, status });
    }
    const now = Date.now();
    const results = settleBatch(entries, built, runs, { now, maxRetryAgeMs: this.settings.maxRetryAgeMs });
    await this.deps.store.settleDelivery(name, results, now, reconcilePending, log, FOLD_RULES);
    this.observe(results, entries, now);
  }

  /** The destination's reading of an answer; a throw is a bug outcome for every item of the request. */
  private classify(result: HttpResult, request: BuiltRequest): Classified {
    try {
      const classified = this.settings.destination.classify(result, request);
      if (classified.items.length === request.items.length) return classified;
      const reason = this.bug(
        'classify',
        new Error(`${classified.items.length} outcomes for ${request.items.length} items`),
      );
      return { ...classified, items: request.items.map(() => ({ kind: 'retry', reason })) };
    } catch (error) {
      const reason = this.bug('classify', error);
      return { items: request.items.map(() => ({ kind: 'retry', reason })) };
    }
  }

  private bug(stage: 'build' | 'classify', error: unknown): string {
    const { name } = this.settings;
    const message = redactIdentifiers(error instanceof Error ? error.message : String(error)).slice(0, 300);
    this.deps.metrics.deliveryBugsTotal.inc({ destination: name, stage });
    this.deps.logger.error(
      { destination: name, stage, reason: message },
      'destination code threw; its items will be retried',
    );
    return `bug in ${stage}: ${message}`;
  }

  private asyncFields(classified: Classified, finished: number): Partial<DeliveryLogEntry> {
    const asyncResult = this.settings.destination.asyncResult;
    if (!asyncResult || classified.report?.asyncId === undefined) return {};
    return { asyncState: 'pending', nextPollAt: finished + asyncResult.firstPollAfterMs };
  }

  private logEntry(
    entries: BatchEntry[],
    status: string,
    at: number,
    latencyMs: number,
    indices: number[],
    requestBody: string,
    outcome: string,
  ): DeliveryLogEntry {
    const carried = indices.map((index) => entries[index]).filter((e): e is BatchEntry => e !== undefined);
    return {
      destination: this.settings.name,
      at,
      status,
      attempt: Math.max(0, ...carried.map((e) => e.pending.attempts)) + 1,
      latencyMs,
      items: carried.length,
      profileIds: carried.map((e) => e.pending.profileId),
      messageIds: [...new Set(carried.flatMap((e) => e.pending.causedBy))],
      requestBody,
      responseExcerpt: '',
      outcome: redactIdentifiers(outcome).slice(0, 2000),
    };
  }

  private observe(results: DeliveryResult[], entries: BatchEntry[], now: number): void {
    const { metrics } = this.deps;
    const { name } = this.settings;
    const receivedAt = new Map(entries.map((e) => [e.pending.profileId, e.pending.firstReceivedAt]));
    for (const result of results) {
      const skipped = result.kind === 'dead' && result.reason.startsWith('skipped: ');
      metrics.deliveryItemsTotal.inc({ destination: name, outcome: skipped ? 'skipped' : result.kind });
      if (result.kind === 'dead') metrics.deadLettersTotal.inc({ destination: name });
      const received = receivedAt.get(result.profileId);
      if (result.kind === 'delivered' && received) {
        metrics.eventToDeliverySeconds.observe({ destination: name }, Math.max(0, now - received) / 1000);
      }
    }
  }
}

function firstOfEachKind(refs: { kind: string; value: string }[]): DeliveryItem['identifiers'] {
  const identifiers: DeliveryItem['identifiers'] = {};
  for (const ref of refs) {
    if (ref.kind === 'userId' && identifiers.userId === undefined) identifiers.userId = ref.value;
    if (ref.kind === 'email' && identifiers.email === undefined) identifiers.email = ref.value;
    if (ref.kind === 'anonymousId' && identifiers.anonymousId === undefined)
      identifiers.anonymousId = ref.value;
  }
  return identifiers;
}

/** Per-item outcomes of one request, counted: `2 delivered; 1 retry: HTTP 503`. */
function summarize(outcomes: ItemOutcome[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const key =
      outcome.kind === 'ok'
        ? outcome.warning
          ? `delivered with warning: ${outcome.warning}`
          : 'delivered'
        : `${outcome.kind === 'reject' ? 'dead' : 'retry'}: ${outcome.reason}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return redactIdentifiers([...counts].map(([key, n]) => `${n} ${key}`).join('; ')).slice(0, 2000);
}

/** The redacted body as JSON text; a redaction that throws logs nothing rather than the raw body. */
function safeJson(redact: () => unknown): string {
  try {
    return JSON.stringify(redact()) ?? '';
  } catch {
    return '"(redaction failed: body not logged)"';
  }
}
