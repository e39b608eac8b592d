import type { BuiltRequest, Classified, HttpResult } from '../../delivery/destination.js';
import { responseDateMs, retryAfterHeaderMs } from '../../delivery/retry-after.js';
import { assertNever } from '../../lib/assert-never.js';
import { unanswered, wholeRequest, type StatusRow } from '../classify-kit.js';

/**
 * A Segment tracking API answer -> one outcome per item of the request (README.md "Outcomes"). The
 * whole request shares one answer: Segment never reports per event (bad events get a 200 and only
 * show in the source's debugger). Pure: the only clock is the response's own `Date` header.
 */

const HTTP_API_DOC = 'https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/';
const SDK_RETRY_RULES =
  'https://github.com/segmentio/analytics-next/blob/master/packages/node/src/plugins/segmentio/publisher.ts';

type Action = 'retry' | 'reject' | 'throttled' | 'credentials';

/** Non-2xx answers, first match wins. The retry set is the one Segment's own SDKs use. */
export const SEGMENT_STATUS_ROWS: readonly StatusRow<Action>[] = [
  {
    matches: (s) => s === 400,
    action: 'reject',
    why: 'Segment refused the request as malformed or too large (32 KB per event, 500 KB per request); resending it would be refused again, and Segment SDKs drop it too',
    source: `${HTTP_API_DOC}#max-request-size`,
  },
  {
    matches: (s) => s === 401 || s === 403,
    action: 'credentials',
    why: 'the write key was refused (settings.write_key)',
    source: `${HTTP_API_DOC}#authentication`,
  },
  {
    matches: (s) => s === 429,
    action: 'throttled',
    why: 'rate limited (Segment asks for at most 1,000 requests per second per workspace)',
    source: `${HTTP_API_DOC}#rate-limits`,
  },
  {
    matches: (s) => s === 408 || s === 410 || s === 460,
    action: 'retry',
    why: 'request timed out or was cut short',
    source: SDK_RETRY_RULES,
  },
  {
    matches: (s) => s === 501 || s === 505,
    action: 'reject',
    why: 'not supported by the server (Segment SDKs do not retry it)',
    source: SDK_RETRY_RULES,
  },
  { matches: (s) => s >= 500 && s <= 599, action: 'retry', why: 'server error', source: SDK_RETRY_RULES },
  { matches: (s) => s >= 400 && s <= 499, action: 'reject', why: 'request refused', source: SDK_RETRY_RULES },
];

/** Wait after a 429 that says nothing: Segment's SDKs never wait less than 1 s. */
export const DEFAULT_THROTTLE_MS = 1000;
/** Segment's SDKs cap a `Retry-After` at 300 s; so does the relay. */
export const MAX_RETRY_AFTER_MS = 300_000;

export function classify(result: HttpResult, request: BuiltRequest): Classified {
  const count = request.items.length;
  // Without an answer, resending is safe: Segment deduplicates the same messageIds.
  if (result.kind !== 'response') return wholeRequest(count, unanswered(result, 'Segment'));
  const { status, headers, body } = result;
  if (status >= 200 && status < 300) return wholeRequest(count, { kind: 'ok' });
  const row = SEGMENT_STATUS_ROWS.find((candidate) => candidate.matches(status));
  const detail = detailOf(body);
  const reason = `HTTP ${status}: ${row?.why ?? 'unexpected status'}${detail ? `: ${detail}` : ''}`;
  const action: Action = row?.action ?? 'reject';
  switch (action) {
    case 'reject':
      return wholeRequest(count, { kind: 'reject', reason });
    case 'retry':
      return wholeRequest(count, { kind: 'retry', reason, afterMs: retryAfterMs(headers) });
    case 'throttled':
      return wholeRequest(count, {
        kind: 'throttled',
        reason,
        forMs: retryAfterMs(headers) ?? DEFAULT_THROTTLE_MS,
      });
    case 'credentials':
      // Retried, not dead-lettered: the core pauses the destination until the key is fixed.
      return wholeRequest(count, { kind: 'credentials', reason });
    default:
      return assertNever(action, 'status action');
  }
}

/** A short message from the answer (`message` or `error`, or the text), when it has one. */
function detailOf(body: unknown): string {
  let text = '';
  if (typeof body === 'string') text = body;
  else if (body !== null && typeof body === 'object') {
    const { message, error } = body as { message?: unknown; error?: unknown };
    text = typeof message === 'string' ? message : typeof error === 'string' ? error : '';
  }
  return text.trim().slice(0, 200);
}

/** `Retry-After` (seconds, or an HTTP date measured against the answer's `Date`), capped at 300 s. */
export function retryAfterMs(headers: Record<string, string>): number | undefined {
  const wait = retryAfterHeaderMs(headers, responseDateMs(headers));
  if (wait === undefined || !Number.isFinite(wait)) return undefined;
  return Math.min(Math.max(Math.ceil(wait), DEFAULT_THROTTLE_MS), MAX_RETRY_AFTER_MS);
}
