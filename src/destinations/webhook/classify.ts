import type { BuiltRequest, Classified, HttpResult, ItemOutcome } from '../../delivery/destination.js';
import { assertNever } from '../../lib/assert-never.js';
import { retryAfterMs } from '../braze/http-defaults.js';

/**
 * A receiver's answer -> outcomes, per the Standard Webhooks sender rules
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * success is 2xx only, 3xx is a failure (redirects are not followed), 410 disables the endpoint,
 * 429/502/504 throttle and `Retry-After` is honoured. A request succeeds or fails as a whole.
 */

const SPEC = 'https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md';

/** Pause when a throttling answer names no `Retry-After`. */
export const DEFAULT_THROTTLE_MS = 30_000;

type Action = 'ok' | 'retry' | 'throttle' | 'credentials' | 'reject';

interface StatusRow {
  matches: (status: number) => boolean;
  action: Action;
  why: string;
  source: string;
}

/** First matching row wins; a status no row matches is rejected. */
export const WEBHOOK_STATUS_ROWS: readonly StatusRow[] = [
  { matches: (s) => s >= 200 && s < 300, action: 'ok', why: 'accepted', source: SPEC },
  {
    matches: (s) => s === 410,
    action: 'reject',
    why: 'endpoint gone (410): disabled; fix settings.url or the receiver, then replay the dead letters',
    source: SPEC,
  },
  {
    matches: (s) => s === 429 || s === 502 || s === 504,
    action: 'throttle',
    why: 'the receiver asks to slow down',
    source: SPEC,
  },
  {
    matches: (s) => s === 401 || s === 403,
    action: 'credentials',
    why: 'the receiver refused the request: check settings.secret (and settings.headers) on both sides',
    source: SPEC,
  },
  {
    matches: (s) => s >= 300 && s < 400,
    action: 'reject',
    why: 'redirects are not followed: set settings.url to the final address',
    source: SPEC,
  },
  { matches: (s) => s === 408, action: 'retry', why: 'the receiver timed out', source: SPEC },
  {
    matches: (s) => s === 413,
    action: 'reject',
    why: 'body too large for the receiver (lower limits.batch_size)',
    source: SPEC,
  },
  { matches: (s) => s >= 500 && s < 600, action: 'retry', why: 'receiver error', source: SPEC },
  {
    matches: (s) => s >= 400 && s < 500,
    action: 'reject',
    why: 'the receiver refused the body',
    source: SPEC,
  },
];

export function classify(
  result: HttpResult,
  request: BuiltRequest,
  now: () => number = Date.now,
): Classified {
  const all = (outcome: ItemOutcome): ItemOutcome[] => request.items.map(() => ({ ...outcome }));
  switch (result.kind) {
    case 'timeout':
      return { items: all({ kind: 'retry', reason: 'timeout: the receiver did not answer in time' }) };
    case 'network':
      return { items: all({ kind: 'retry', reason: `network error: ${result.message}` }) };
    case 'response':
      break;
    default:
      return assertNever(result, 'HTTP result');
  }
  const { status, headers } = result;
  const row = WEBHOOK_STATUS_ROWS.find((candidate) => candidate.matches(status));
  const action = row?.action ?? 'reject';
  const reason = `HTTP ${status}: ${row?.why ?? 'unexpected status'}`;
  const wait = retryAfterMs(headers, undefined, now);
  switch (action) {
    case 'ok':
      return { items: all({ kind: 'ok' }) };
    case 'reject':
      return { items: all({ kind: 'reject', reason }) };
    case 'retry':
      return {
        items: all(wait === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs: wait }),
      };
    case 'throttle': {
      const forMs = wait ?? DEFAULT_THROTTLE_MS;
      return {
        items: all({ kind: 'retry', reason, afterMs: forMs }),
        signal: { kind: 'throttled', forMs, reason },
      };
    }
    case 'credentials':
      return { items: all({ kind: 'retry', reason }), signal: { kind: 'credentials', reason } };
    default:
      return assertNever(action, 'webhook action');
  }
}
