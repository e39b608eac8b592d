import type { BuiltRequest, Classified, HttpResult, ItemOutcome } from '../../delivery/destination.js';
import { assertNever } from '../../lib/assert-never.js';

/**
 * A Segment tracking API answer -> one outcome per item of the request (README.md "Outcomes"). The
 * whole request shares one answer: Segment never reports per event (bad events get a 200 and only
 * show in the source's debugger). Pure: the only clock is the response's own `Date` header.
 */

const HTTP_API_DOC = 'https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/';
const SDK_RETRY_RULES =
  'https://github.com/segmentio/analytics-next/blob/master/packages/node/src/plugins/segmentio/publisher.ts';

type Action = 'retry' | 'reject' | 'throttled' | 'credentials';

interface StatusRow {
  matches: (status: number) => boolean;
  action: Action;
  why: string;
  source: string;
}

/** Non-2xx answers, first match wins. The retry set is the one Segment's own SDKs use. */
export const SEGMENT_STATUS_ROWS: readonly StatusRow[] = [
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
  const all = (outcome: ItemOutcome): ItemOutcome[] => request.items.map(() => ({ ...outcome }));
  switch (result.kind) {
    case 'timeout':
      // Resending is safe: Segment deduplicates the same messageIds.
      return { items: all({ kind: 'retry', reason: 'timeout: Segment did not answer in time' }) };
    case 'network':
      return { items: all({ kind: 'retry', reason: `network error: ${result.message}` }) };
    case 'response':
      return classifyResponse(result, all);
    default:
      return assertNever(result, 'HTTP result');
  }
}

function classifyResponse(
  result: Extract<HttpResult, { kind: 'response' }>,
  all: (outcome: ItemOutcome) => ItemOutcome[],
): Classified {
  const { status, headers, body } = result;
  if (status >= 200 && status < 300) return { items: all({ kind: 'ok' }) };
  const row = SEGMENT_STATUS_ROWS.find((candidate) => candidate.matches(status));
  const detail = detailOf(body);
  const reason = `HTTP ${status}: ${row?.why ?? 'unexpected status'}${detail ? `: ${detail}` : ''}`;
  const action: Action = row?.action ?? 'reject';
  switch (action) {
    case 'reject':
      return { items: all({ kind: 'reject', reason }) };
    case 'retry': {
      const afterMs = retryAfterMs(headers);
      return {
        items: all(afterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, afterMs }),
      };
    }
    case 'throttled': {
      const forMs = retryAfterMs(headers) ?? DEFAULT_THROTTLE_MS;
      return {
        items: all({ kind: 'retry', reason, afterMs: forMs }),
        signal: { kind: 'throttled', forMs, reason },
      };
    }
    case 'credentials':
      // Retried, not dead-lettered: the core pauses the destination until the key is fixed.
      return { items: all({ kind: 'retry', reason }), signal: { kind: 'credentials', reason } };
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
  const value = header(headers, 'retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  let wait: number;
  if (/^\d+(\.\d+)?$/.test(value)) wait = Number(value) * 1000;
  else {
    const at = Date.parse(value);
    const now = Date.parse(header(headers, 'date') ?? '');
    if (Number.isNaN(at) || Number.isNaN(now)) return undefined;
    wait = at - now;
  }
  if (!Number.isFinite(wait)) return undefined;
  return Math.min(Math.max(Math.ceil(wait), DEFAULT_THROTTLE_MS), MAX_RETRY_AFTER_MS);
}

/** Header lookup that ignores case. */
function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
