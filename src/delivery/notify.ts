import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { DeliveryLogEntry } from '../store/delivery-port.js';
import type { RelayStore } from '../store/port.js';
import type {
  BuiltRequest,
  Classified,
  ConfiguredDestination,
  HttpResult,
  RelayEvent,
} from './destination.js';
import { FOLD_RULES } from './fold.js';
import { redactIdentifiers } from './match-keys.js';
import type { PauseControl } from './pause-control.js';
import { reconcilePending } from './pending.js';
import { responseExcerpt } from './redact.js';

/**
 * Relay events (`RelayEvent`, e.g. `budget.allocation_changed`) sent to the destinations whose type
 * has `notify`: at most one request per event and destination (none when `notify` has nothing to
 * send), through the destination's own pause, rate limiter and transport, each attempt written to
 * the delivery log (0 items); nothing to send is no attempt and no entry. A failed attempt is
 * tried again after 10 s, 1 min and 5 min; then, or when the answer rejects it, the event is logged
 * and dropped. Pending retries live in memory only: they are dropped when delivery stops.
 */

/** Waits before the second, third and fourth attempt. */
export const EVENT_RETRY_DELAYS_MS = [10_000, 60_000, 300_000] as const;

export type EventAttemptOutcome =
  | { kind: 'sent' }
  /** The destination had nothing to send for this event (e.g. an amount it pushes did not change). */
  | { kind: 'nothing_to_send' }
  | { kind: 'retry'; reason: string; afterMs?: number }
  | { kind: 'failed'; reason: string };

/** What one attempt needs of a destination worker. */
export interface EventChannel {
  name: string;
  destination: ConfiguredDestination;
  pause: PauseControl;
  send: (request: BuiltRequest) => Promise<HttpResult>;
  store: RelayStore;
  metrics: Metrics;
  logger: Logger;
}

/** One attempt at sending `event` to one destination; logged, never throws for an expected failure. */
export async function sendRelayEvent(
  channel: EventChannel,
  event: RelayEvent,
  attempt: number,
): Promise<EventAttemptOutcome> {
  const { destination, name, pause } = channel;
  let request: BuiltRequest | undefined;
  try {
    request = destination.notify?.(event, name);
  } catch (error) {
    const reason = `bug in notify: ${redactIdentifiers(String((error as Error).message ?? error)).slice(0, 300)}`;
    channel.metrics.deliveryBugsTotal.inc({ destination: name, stage: 'build' });
    await log(channel, entry(channel, event, attempt, 'bug', Date.now(), 0, '', '', reason));
    return { kind: 'failed', reason };
  }
  if (request === undefined) return { kind: 'nothing_to_send' };
  const pausedFor = pause.remainingMs(Date.now());
  if (pausedFor > 0) return { kind: 'retry', reason: 'destination paused', afterMs: pausedFor };
  const started = Date.now();
  const result = await channel.send(request);
  const finished = Date.now();
  const classified = classifyEvent(destination, result, request);
  if (classified.signal) pause.signal(classified.signal, finished);
  else if (result.kind === 'response' && result.status < 300) pause.succeeded();
  const status = result.kind === 'response' ? String(result.status) : result.kind;
  channel.metrics.deliveryRequestsTotal.inc({ destination: name, status });
  const outcome = classified.items[0] ?? { kind: 'retry', reason: 'bug: no outcome for the event' };
  const described =
    outcome.kind === 'ok'
      ? 'delivered'
      : `${outcome.kind === 'reject' ? 'dead' : 'retry'}: ${outcome.reason}`;
  await log(
    channel,
    entry(
      channel,
      event,
      attempt,
      status,
      started,
      finished - started,
      safeJson(() => destination.redactBody(request.body)),
      result.kind === 'response' ? responseExcerpt(result.body) : '',
      `${event.type}: ${described}`,
    ),
  );
  if (outcome.kind === 'ok') return { kind: 'sent' };
  if (outcome.kind === 'reject') return { kind: 'failed', reason: outcome.reason };
  return { kind: 'retry', reason: outcome.reason, ...(outcome.afterMs ? { afterMs: outcome.afterMs } : {}) };
}

/**
 * Sends each event to every destination that takes events, retrying on its own timers; `stop()`
 * drops what is still waiting.
 */
export class RelayEventSender {
  private readonly waits = new Set<{ timer: NodeJS.Timeout; resolve: (go: boolean) => void }>();
  private stopped = false;

  constructor(
    private readonly logger: Logger,
    private readonly retryDelaysMs: readonly number[] = EVENT_RETRY_DELAYS_MS,
  ) {}

  /**
   * `channels` are read at each attempt (a reconfigured destination is sent through its new worker).
   * Resolves once every destination's last attempt is over.
   */
  async send(event: RelayEvent, channels: (() => EventChannel | undefined)[]): Promise<void> {
    await Promise.all(channels.map((channelOf) => this.attempt(event, channelOf, 1)));
  }

  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.resolve(false);
    }
    this.waits.clear();
  }

  private async attempt(
    event: RelayEvent,
    channelOf: () => EventChannel | undefined,
    attempt: number,
  ): Promise<void> {
    const channel = channelOf();
    if (this.stopped || channel === undefined) return;
    let outcome: EventAttemptOutcome;
    try {
      outcome = await sendRelayEvent(channel, event, attempt);
    } catch (error) {
      // The store could not write the log entry, or the transport threw: tried again like a failure.
      outcome = { kind: 'retry', reason: String((error as Error).message ?? error) };
    }
    if (outcome.kind === 'sent' || outcome.kind === 'nothing_to_send') return;
    const delay = this.retryDelaysMs[attempt - 1];
    const fields = {
      destination: channel.name,
      event: event.type,
      attempt,
      reason: redactIdentifiers(outcome.reason),
    };
    if (outcome.kind === 'failed' || delay === undefined || this.stopped) {
      this.logger.warn(fields, 'relay event not delivered; dropped (see the delivery log)');
      return;
    }
    this.logger.info(fields, 'relay event not delivered yet; will retry');
    if (await this.wait(Math.max(delay, outcome.afterMs ?? 0)))
      await this.attempt(event, channelOf, attempt + 1);
  }

  /** Resolves true after `ms`, or false at once when stopped meanwhile. */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.waits.delete(entry);
          resolve(true);
        }, ms),
        resolve,
      };
      entry.timer.unref();
      this.waits.add(entry);
    });
  }
}

function classifyEvent(
  destination: ConfiguredDestination,
  result: HttpResult,
  request: BuiltRequest,
): Classified {
  try {
    return destination.classify(result, request);
  } catch (error) {
    const reason = `bug in classify: ${redactIdentifiers(String((error as Error).message ?? error)).slice(0, 300)}`;
    return { items: [{ kind: 'retry', reason }] };
  }
}

function entry(
  channel: EventChannel,
  event: RelayEvent,
  attempt: number,
  status: string,
  at: number,
  latencyMs: number,
  requestBody: string,
  excerpt: string,
  outcome: string,
): DeliveryLogEntry {
  return {
    destination: channel.name,
    at,
    status,
    attempt,
    latencyMs,
    items: 0,
    profileIds: [],
    messageIds: [],
    requestBody,
    responseExcerpt: excerpt,
    outcome: redactIdentifiers(outcome).slice(0, 2000),
    report: { note: `relay event ${event.type}` },
  };
}

async function log(channel: EventChannel, logEntry: DeliveryLogEntry): Promise<void> {
  await channel.store.settleDelivery(channel.name, [], Date.now(), reconcilePending, [logEntry], FOLD_RULES);
}

function safeJson(redact: () => unknown): string {
  try {
    return JSON.stringify(redact()) ?? '';
  } catch {
    return '"(redaction failed: body not logged)"';
  }
}
