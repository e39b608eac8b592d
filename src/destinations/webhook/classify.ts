import type { BuiltRequest, Classified, HttpResult } from '../../delivery/destination.js';
import { requestedWaitMs } from '../../delivery/retry-after.js';
import { assertNever } from '../../lib/assert-never.js';
import { unanswered, wholeRequest, type StatusRow } from '../classify-kit.js';

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

/** First matching row wins; a status no row matches is rejected. */
export const WEBHOOK_STATUS_ROWS: readonly StatusRow<Action>[] = [
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
  const count = request.items.length;
  if (result.kind !== 'response') return wholeRequest(count, unanswered(result, 'the receiver'));
  const { status, headers } = result;
  const row = WEBHOOK_STATUS_ROWS.find((candidate) => candidate.matches(status));
  const action = row?.action ?? 'reject';
  const reason = `HTTP ${status}: ${row?.why ?? 'unexpected status'}`;
  const wait = requestedWaitMs(headers, now);
  switch (action) {
    case 'ok':
      return wholeRequest(count, { kind: 'ok' });
    case 'reject':
      return wholeRequest(count, { kind: 'reject', reason });
    case 'retry':
      return wholeRequest(count, { kind: 'retry', reason, afterMs: wait });
    case 'throttle':
      return wholeRequest(count, { kind: 'throttled', reason, forMs: wait ?? DEFAULT_THROTTLE_MS });
    case 'credentials':
      return wholeRequest(count, { kind: 'credentials', reason });
    default:
      return assertNever(action, 'webhook action');
  }
}
