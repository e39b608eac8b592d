import {
  Analytics,
  type HTTPClientRequest,
  type HTTPResponse,
  type IdentifyParams,
  type TrackParams,
} from '@segment/analytics-node';
import type { BuiltRequest, HttpResult, Transport } from '../../delivery/destination.js';
import { SEGMENT_MAX_MESSAGES_PER_REQUEST, segmentLimits } from './limits.js';
import type { SegmentBatchBody, SegmentMessage } from './payload.js';
import type { SegmentSettings } from './settings.js';

/**
 * Sends built requests through @segment/analytics-node, one `Analytics` client per transport (the
 * core makes one transport per configured destination and closes it when the destination stops).
 *
 * The SDK shapes the call (its name and version in `context`, `writeKey`, `sentAt`, Basic auth) and the relay's core
 * decides about retries, so the client never retries on its own: `maxRetries: 0`, and
 * `maxRateLimitDuration: 0` so a 429 with `Retry-After` fails at once instead of the SDK sleeping on it.
 * The SDK only says "delivered" or "failed" per event; what the server answered is read where it
 * happens: the client's HTTP is this module's `makeRequest`, which records each call's status,
 * headers and body (or timeout / network error) for the messages the call carried.
 *
 * One request at a time per client: its messages are queued, then `flush()` sends exactly them as
 * one `/v1/batch` call (`flushAt` is above the most messages a request holds, see limits.ts).
 */

export interface SegmentTransportOptions {
  /** How long one call may take (the SDK's `httpRequestTimeout`). Default: the type's timeout. */
  timeoutMs?: number;
}

interface Pending {
  /** What each HTTP call carrying these messages got, in order. */
  calls: HttpResult[];
  /** Why the SDK reported messages as failed (after a failed call, or never sent at all). */
  failures: string[];
}

/** Backstop only: `flush()` sends a request at once; this fires if the SDK ever waits for more. */
const FLUSH_INTERVAL_MS = 1000;
/** Slack on top of the call timeout before `flush()` itself gives up. */
const FLUSH_SLACK_MS = 5000;

export function segmentTransport(
  config: { settings: SegmentSettings },
  options: SegmentTransportOptions = {},
): Transport {
  return new SdkTransport(config.settings, options.timeoutMs ?? segmentLimits.timeoutMs);
}

class SdkTransport implements Transport {
  private readonly analytics: Analytics;
  /** Pending sends by the messageIds they carry: how an HTTP call or a failure finds its request. */
  private readonly pending = new Map<string, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    settings: SegmentSettings,
    private readonly timeoutMs: number,
  ) {
    this.analytics = new Analytics({
      writeKey: settings.write_key,
      host: settings.host,
      path: '/v1/batch',
      maxRetries: 0,
      maxRateLimitDuration: 0,
      flushAt: SEGMENT_MAX_MESSAGES_PER_REQUEST,
      flushInterval: FLUSH_INTERVAL_MS,
      httpRequestTimeout: timeoutMs,
      httpClient: { makeRequest: (request) => this.call(request) },
    });
    this.analytics.on('error', (error) => {
      const messageId = (error.ctx?.event as { messageId?: unknown } | undefined)?.messageId;
      const pending = typeof messageId === 'string' ? this.pending.get(messageId) : undefined;
      if (pending) pending.failures.push(reasonText(error.reason));
    });
  }

  send(request: BuiltRequest): Promise<HttpResult> {
    const sent = this.queue.then(() => this.sendNow(request));
    this.queue = sent.catch(() => undefined);
    return sent;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await this.analytics.closeAndFlush({ timeout: this.timeoutMs + FLUSH_SLACK_MS });
  }

  private async sendNow(request: BuiltRequest): Promise<HttpResult> {
    if (this.closed) return { kind: 'network', message: 'the Segment transport is closed' };
    const { batch } = request.body as SegmentBatchBody;
    const pending: Pending = { calls: [], failures: [] };
    for (const message of batch) this.pending.set(message.messageId, pending);
    try {
      for (const message of batch) this.enqueue(message);
      await this.analytics.flush({ timeout: this.timeoutMs + FLUSH_SLACK_MS });
    } finally {
      for (const message of batch) this.pending.delete(message.messageId);
    }
    return resultOf(pending);
  }

  /** Hands one message to the SDK; a copy, because the SDK writes into `context`. */
  private enqueue(original: SegmentMessage): void {
    const message = structuredClone(original);
    const identity =
      message.userId !== undefined ? { userId: message.userId } : { anonymousId: message.anonymousId ?? '' };
    const common = {
      ...identity,
      messageId: message.messageId,
      context: message.context,
      ...(message.timestamp === undefined ? {} : { timestamp: message.timestamp }),
    };
    if (message.type === 'identify') {
      this.analytics.identify({ ...common, traits: message.traits } satisfies IdentifyParams);
    } else {
      this.analytics.track({
        ...common,
        event: message.event,
        properties: message.properties,
      } satisfies TrackParams);
    }
  }

  /** The SDK's HTTP: one fetch, its answer recorded for the messages it carried. */
  private async call(request: HTTPClientRequest): Promise<HTTPResponse> {
    const pending = this.pendingOf(request.body);
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(request.httpRequestTimeout),
      });
      const text = await response.text();
      pending?.calls.push({
        kind: 'response',
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: parseBody(text),
      });
      return {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        text: () => Promise.resolve(text),
      };
    } catch (error) {
      pending?.calls.push(
        isTimeout(error) ? { kind: 'timeout' } : { kind: 'network', message: reasonText(error) },
      );
      throw error;
    }
  }

  private pendingOf(body: string): Pending | undefined {
    const parsed = JSON.parse(body) as { batch?: { messageId?: unknown }[] };
    for (const message of parsed.batch ?? []) {
      const pending = typeof message.messageId === 'string' ? this.pending.get(message.messageId) : undefined;
      if (pending) return pending;
    }
    return undefined;
  }
}

/**
 * The first failed call if any (its messages were not delivered); else, when the SDK failed messages
 * although every call succeeded, it never sent them (its own size check): a network-like failure,
 * retried (a resend is deduplicated by messageId); else the last answer.
 */
function resultOf(pending: Pending): HttpResult {
  const failed = pending.calls.find(
    (call) => call.kind !== 'response' || call.status < 200 || call.status >= 300,
  );
  if (failed) return failed;
  const [failure] = pending.failures;
  if (failure !== undefined) return { kind: 'network', message: `the Segment SDK did not send: ${failure}` };
  return pending.calls.at(-1) ?? { kind: 'timeout' };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** `fetch failed (ECONNREFUSED)`: the error and the system code behind it, never a URL's secrets. */
function reasonText(reason: unknown): string {
  if (!(reason instanceof Error)) return String(reason);
  const code = (reason.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${reason.message} (${code})` : reason.message;
}
