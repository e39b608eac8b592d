import Bottleneck from 'bottleneck';
import type { AxiosInstance } from 'axios';
import { BackgroundLoop } from '../lib/background-loop.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { ChangeSet, DeliveryResult, PendingChange } from '../store/delivery-port.js';
import type { RelayStore } from '../store/port.js';
import type { BuiltRequest, ConfiguredDestination, DeliveryItem, ItemOutcome } from './destination.js';
import { deliveryItem } from './delivery-item.js';
import { FOLD_RULES } from './fold.js';
import { createHttpClient, send } from './http-client.js';
import { isEmpty, netChange, reconcilePending, retryDelayMs } from './pending.js';
import { redactEmails, responseExcerpt } from './redact.js';

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

interface Sent {
  pending: PendingChange;
  /** Everything the pending row said when it was read: what this round settles. */
  snapshot: ChangeSet;
}

const IDLE_MS = 100;

/**
 * One destination's delivery: its own queue reader, rate limiter and HTTP client, so a destination
 * that is down, slow or throttled never delays another. A profile is never in two requests at once,
 * and every request carries its profiles' latest state, so changes reach the destination in order.
 */
export class DestinationWorker extends BackgroundLoop {
  private pausedUntil = 0;
  private readonly limiter: Bottleneck;
  private readonly client: AxiosInstance;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly deps: { store: RelayStore; metrics: Metrics; logger: Logger },
  ) {
    super(`delivery to ${settings.name}`, deps.logger);
    // Evenly spaced requests (with 2 % headroom) never exceed a sliding-window limit, unlike a
    // fixed-window reservoir that can burst twice the limit across a window edge.
    const minTime = Math.ceil((1000 / settings.requestsPerSecond) * 1.02);
    this.limiter = new Bottleneck({ minTime, maxConcurrent: 4 });
    this.client = createHttpClient(settings.timeoutMs);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.limiter.stop({ dropWaitingJobs: false }).catch(() => undefined);
  }

  /** Sends at most one batch; returns how long to wait before the next step (0 = go on). */
  protected async step(): Promise<number> {
    const now = Date.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    const { store, metrics } = this.deps;
    const { name, batchSize, maxWaitMs } = this.settings;
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

  private async deliver(due: PendingChange[]): Promise<void> {
    const { store } = this.deps;
    const { name, destination } = this.settings;
    const profiles = new Map((await store.loadProfiles(due.map((p) => p.profileId))).map((p) => [p.id, p]));
    const sent: Sent[] = [];
    const items: DeliveryItem[] = [];
    const nothingToSend: DeliveryResult[] = [];
    for (const pending of due) {
      const snapshot = { version: pending.version, audiences: pending.audiences, traits: pending.traits };
      const net = netChange(snapshot, await store.deliveredState(name, pending.profileId));
      if (isEmpty(net)) {
        nothingToSend.push({ profileId: pending.profileId, kind: 'delivered', sent: snapshot });
        continue;
      }
      sent.push({ pending, snapshot });
      const refs = profiles.get(pending.profileId)?.identifiers ?? [];
      items.push(
        deliveryItem({
          profileId: pending.profileId,
          version: pending.version,
          identifiers: identifiersOf(refs),
          allIdentifiers: refs,
          audiences: net.audiences,
          traits: net.traits,
        }),
      );
    }
    if (nothingToSend.length > 0)
      await store.settleDelivery(name, nothingToSend, Date.now(), reconcilePending, [], FOLD_RULES);
    if (items.length === 0) return;
    const built = destination.buildBatch(items);
    await this.settleSkipped(built.skipped, sent);
    for (const request of built.requests) await this.sendRequest(request, sent);
  }

  private async settleSkipped(skipped: { item: number; reason: string }[], sent: Sent[]): Promise<void> {
    if (skipped.length === 0) return;
    const { name } = this.settings;
    const now = Date.now();
    const results: DeliveryResult[] = skipped.map(({ item, reason }) => {
      const entry = sent[item] as Sent;
      return {
        profileId: entry.pending.profileId,
        kind: 'dead',
        sent: entry.snapshot,
        reason: `skipped: ${reason}`,
      };
    });
    await this.deps.store.settleDelivery(
      name,
      results,
      now,
      reconcilePending,
      [
        {
          destination: name,
          at: now,
          status: 'skipped',
          attempt: 1,
          latencyMs: 0,
          items: results.length,
          profileIds: results.map((r) => r.profileId),
          messageIds: skipped.flatMap(({ item }) => sent[item]?.pending.causedBy ?? []),
          requestBody: '',
          responseExcerpt: '',
          outcome: redactEmails(skipped.map((s) => s.reason).join('; ')).slice(0, 2000),
        },
      ],
      FOLD_RULES,
    );
    this.deps.metrics.deliveryItemsTotal.inc({ destination: name, outcome: 'skipped' }, results.length);
    this.deps.metrics.deadLettersTotal.inc({ destination: name }, results.length);
  }

  private async sendRequest(request: BuiltRequest, sent: Sent[]): Promise<void> {
    const { name, destination } = this.settings;
    const started = Date.now();
    const result = await this.limiter.schedule(() => send(this.client, request));
    const finished = Date.now();
    const outcomes = destination.classify(result, request).items;
    const entries = request.items.map((index) => sent[index] as Sent);
    const results = entries.map((entry, i) =>
      this.resultOf(entry, outcomes[i] ?? { kind: 'retry', reason: 'no outcome' }, finished),
    );
    const status = result.kind === 'response' ? String(result.status) : result.kind;
    await this.deps.store.settleDelivery(
      name,
      results,
      finished,
      reconcilePending,
      [
        {
          destination: name,
          at: started,
          status,
          attempt: Math.max(...entries.map((e) => e.pending.attempts)) + 1,
          latencyMs: finished - started,
          items: entries.length,
          profileIds: entries.map((e) => e.pending.profileId),
          messageIds: [...new Set(entries.flatMap((e) => e.pending.causedBy))],
          requestBody: JSON.stringify(destination.redactBody(request.body)),
          responseExcerpt: result.kind === 'response' ? responseExcerpt(result.body) : '',
          outcome: summarize(results),
        },
      ],
      FOLD_RULES,
    );
    this.observe(status, results, entries, finished);
    const throttle = outcomes.find(
      (o): o is Extract<ItemOutcome, { kind: 'retry' }> => o.kind === 'retry' && o.afterMs !== undefined,
    );
    if (result.kind === 'response' && result.status === 429 && throttle?.afterMs) {
      this.pausedUntil = Math.max(this.pausedUntil, finished + throttle.afterMs);
    }
  }

  private resultOf(entry: Sent, outcome: ItemOutcome, now: number): DeliveryResult {
    const { pending, snapshot } = entry;
    const profileId = pending.profileId;
    if (outcome.kind === 'ok') return { profileId, kind: 'delivered', sent: snapshot };
    if (outcome.kind === 'reject') return { profileId, kind: 'dead', sent: snapshot, reason: outcome.reason };
    const firstAttempt = pending.firstAttemptAt ?? now;
    if (now - firstAttempt >= this.settings.maxRetryAgeMs) {
      return {
        profileId,
        kind: 'dead',
        sent: snapshot,
        reason: `gave up after ${pending.attempts + 1} attempts: ${outcome.reason}`,
      };
    }
    const delay = retryDelayMs(pending.attempts, outcome.afterMs ?? 0);
    return { profileId, kind: 'retry', sent: snapshot, reason: outcome.reason, nextAttemptAt: now + delay };
  }

  private observe(status: string, results: DeliveryResult[], entries: Sent[], now: number): void {
    const { metrics } = this.deps;
    const { name } = this.settings;
    metrics.deliveryRequestsTotal.inc({ destination: name, status });
    results.forEach((result, i) => {
      metrics.deliveryItemsTotal.inc({ destination: name, outcome: result.kind });
      if (result.kind === 'dead') metrics.deadLettersTotal.inc({ destination: name });
      const receivedAt = entries[i]?.pending.firstReceivedAt;
      if (result.kind === 'delivered' && receivedAt) {
        metrics.eventToDeliverySeconds.observe({ destination: name }, Math.max(0, now - receivedAt) / 1000);
      }
    });
  }
}

function identifiersOf(refs: { kind: string; value: string }[]): DeliveryItem['identifiers'] {
  const identifiers: DeliveryItem['identifiers'] = {};
  for (const ref of refs) {
    if (ref.kind === 'userId' && identifiers.userId === undefined) identifiers.userId = ref.value;
    if (ref.kind === 'email' && identifiers.email === undefined) identifiers.email = ref.value;
    if (ref.kind === 'anonymousId' && identifiers.anonymousId === undefined)
      identifiers.anonymousId = ref.value;
  }
  return identifiers;
}

function summarize(results: DeliveryResult[]): string {
  const counts = new Map<string, number>();
  for (const result of results) {
    const key = result.kind === 'delivered' ? 'delivered' : `${result.kind}: ${result.reason}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return redactEmails([...counts].map(([key, n]) => `${n} ${key}`).join('; ')).slice(0, 2000);
}
