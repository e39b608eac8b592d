import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { RelayStore } from '../store/port.js';
import type { AsyncStatus, BuiltRequest, ConfiguredDestination, HttpResult } from './destination.js';
import { redactIdentifiers } from './match-keys.js';

const POLLS_PER_STEP = 10;

/**
 * Asks a destination that applies requests later (Google's Data Manager API) for their final result,
 * through the destination's own rate limit, and records it next to the request in the delivery log.
 * A result is informative: a FAILURE is shown (and counted), never a reason to resend blindly.
 */
export class AsyncResultPoller {
  constructor(
    private readonly destination: string,
    private readonly asyncResult: NonNullable<ConfiguredDestination['asyncResult']>,
    private readonly send: (request: BuiltRequest) => Promise<HttpResult>,
    private readonly deps: { store: RelayStore; metrics: Metrics; logger: Logger },
  ) {}

  async pollDue(now: number): Promise<void> {
    const { store } = this.deps;
    const due = await store.dueAsyncPolls(this.destination, now, POLLS_PER_STEP);
    for (const entry of due) {
      const asyncId = entry.report?.asyncId;
      if (entry.id === undefined || asyncId === undefined) continue;
      const status = await this.poll(asyncId);
      const at = Date.now();
      if (status.state === 'done') {
        const detail = redactIdentifiers(status.detail).slice(0, 2000);
        await store.recordAsyncPoll(entry.id, { state: 'done', status: status.status, detail, at });
        this.deps.metrics.asyncResultsTotal.inc({ destination: this.destination, status: status.status });
        if (status.status !== 'SUCCESS') {
          this.deps.logger.warn(
            { destination: this.destination, logId: entry.id, status: status.status, detail },
            'destination applied a request only partly or not at all',
          );
        }
      } else {
        await store.recordAsyncPoll(entry.id, {
          state: 'pending',
          nextPollAt: at + this.asyncResult.pollEveryMs,
        });
      }
    }
  }

  private async poll(asyncId: string): Promise<AsyncStatus> {
    try {
      return this.asyncResult.read(await this.send(this.asyncResult.request(asyncId)));
    } catch (error) {
      return { state: 'unknown', detail: redactIdentifiers(String((error as Error).message ?? error)) };
    }
  }
}
