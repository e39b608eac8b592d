import type { Classified, HttpResult, ItemOutcome } from '../delivery/destination.js';
import { assertNever } from '../lib/assert-never.js';

/**
 * The mechanics every classifier shares when one answer speaks for the whole request: the same
 * outcome for each item, and the destination-wide signals that go with it. Which status means what
 * stays in each destination's own table.
 */

/** A row of a status table, first match wins: what the status means, why, and the doc that says so. */
export interface StatusRow<Action extends string> {
  matches: (status: number) => boolean;
  action: Action;
  why: string;
  source: string;
}

/** The same outcome for every item of a request, each its own copy. */
export function forAll(count: number, outcome: ItemOutcome): ItemOutcome[] {
  return Array.from({ length: count }, () => ({ ...outcome }));
}

/** A retry after `afterMs` when the vendor said how long, else after the core's own backoff. */
export function retryOutcome(reason: string, afterMs: number | undefined): ItemOutcome {
  return afterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs };
}

/** No answer (timeout, network error): every item is retried. `redact` cleans the error message. */
export function unanswered(
  result: Exclude<HttpResult, { kind: 'response' }>,
  vendor: string,
  redact: (text: string) => string = (text) => text,
): ItemOutcome {
  switch (result.kind) {
    case 'timeout':
      return { kind: 'retry', reason: `timeout: ${vendor} did not answer in time` };
    case 'network':
      return { kind: 'retry', reason: `network error: ${redact(result.message)}` };
    default:
      return assertNever(result, 'HTTP result');
  }
}

/** What one answer means for every item of a request. */
export type WholeRequestAnswer =
  /** Every item gets this outcome (a retry without `afterMs` waits for the core's own backoff). */
  | ItemOutcome
  /** Throttled: the destination pauses `forMs`, and every item is retried after it. */
  | { kind: 'throttled'; reason: string; forMs: number }
  /**
   * The credentials were refused. Not the items' fault: they are retried (never dead-lettered) while
   * the destination is paused; `itemReason` when the items should say more than the signal.
   */
  | { kind: 'credentials'; reason: string; itemReason?: string };

/** One answer for the whole request -> an outcome per item, and the signal that goes with it. */
export function wholeRequest(count: number, answer: WholeRequestAnswer): Classified {
  switch (answer.kind) {
    case 'ok':
    case 'reject':
      return { items: forAll(count, answer) };
    case 'retry':
      return { items: forAll(count, retryOutcome(answer.reason, answer.afterMs)) };
    case 'throttled': {
      const { reason, forMs } = answer;
      return {
        items: forAll(count, { kind: 'retry', reason, afterMs: forMs }),
        signal: { kind: 'throttled', forMs, reason },
      };
    }
    case 'credentials': {
      const { reason, itemReason = reason } = answer;
      return {
        items: forAll(count, { kind: 'retry', reason: itemReason }),
        signal: { kind: 'credentials', reason },
      };
    }
    default:
      return assertNever(answer, 'whole-request answer');
  }
}
