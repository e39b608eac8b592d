import type { ItemOutcome } from '../../delivery/destination.js';

/**
 * The default HTTP classification (docs/delivery.md "Outcomes"; the table in README.md
 * "Classification"), decided once; vendor rows go on top of it. Written to be hoisted to
 * `src/delivery/` when a second destination needs it: nothing in here is Braze-specific.
 */

export type WholeRequestOutcome = { kind: 'retry'; reason: string } | { kind: 'reject'; reason: string };

interface DefaultRow {
  matches: (status: number) => boolean;
  kind: WholeRequestOutcome['kind'];
  why: string;
}

export const DEFAULT_HTTP_ROWS: readonly DefaultRow[] = [
  { matches: (s) => s === 408 || s === 425 || s === 429, kind: 'retry', why: 'throttled or too early' },
  { matches: (s) => s === 401, kind: 'reject', why: 'not authenticated (check the credentials)' },
  { matches: (s) => s === 403, kind: 'reject', why: 'not allowed (check the permissions / plan)' },
  { matches: (s) => s === 404, kind: 'reject', why: 'not found (check the endpoint)' },
  { matches: (s) => s === 413, kind: 'reject', why: 'request too large (lower the batch size)' },
  // Segment does not retry 501 / 505 either: the server will not learn the method or HTTP version.
  { matches: (s) => s === 501 || s === 505, kind: 'reject', why: 'not supported by the server' },
  { matches: (s) => s >= 500 && s <= 599, kind: 'retry', why: 'server error' },
  { matches: (s) => s >= 400 && s <= 499, kind: 'reject', why: 'request refused' },
];

/** Non-2xx status -> outcome for the whole request. Anything outside the table (1xx, 3xx) is rejected. */
export function defaultHttpOutcome(status: number, detail: string): WholeRequestOutcome {
  const row = DEFAULT_HTTP_ROWS.find((candidate) => candidate.matches(status));
  const kind = row?.kind ?? 'reject';
  const why = row?.why ?? 'unexpected status';
  return { kind, reason: `HTTP ${status}: ${why}${detail ? `: ${detail}` : ''}` };
}

/** Header lookup that ignores case (HTTP/2 lowercases; fetch and axios differ). */
export function header(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * How long to wait before retrying, from `Retry-After` (seconds or an HTTP date) and a vendor reset
 * header holding UTC epoch seconds (e.g. Braze's `X-RateLimit-Reset`); the later of the two wins.
 * Times are measured against the response's own `Date` header when it has one (no clock skew, and
 * `classify` stays pure), else against `now`. Undefined when neither header says anything useful,
 * so the delivery core falls back to its own backoff.
 */
export function retryAfterMs(
  headers: Record<string, string>,
  resetHeader: string | undefined,
  now: () => number,
): number | undefined {
  const dated = Date.parse(header(headers, 'date') ?? '');
  const reference = Number.isNaN(dated) ? now() : dated;
  const waits: number[] = [];
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (retryAfter !== undefined && retryAfter !== '') {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) waits.push(Number(retryAfter) * 1000);
    else {
      const at = Date.parse(retryAfter);
      if (!Number.isNaN(at)) waits.push(at - reference);
    }
  }
  const reset = resetHeader === undefined ? undefined : header(headers, resetHeader)?.trim();
  if (reset !== undefined && /^\d+(\.\d+)?$/.test(reset)) waits.push(Number(reset) * 1000 - reference);
  const wait = Math.max(...waits.filter((ms) => Number.isFinite(ms)), 0);
  return wait > 0 ? Math.ceil(wait) : undefined;
}

/** The same outcome for every item of a request. */
export function forAll(count: number, outcome: ItemOutcome): ItemOutcome[] {
  return Array.from({ length: count }, () => ({ ...outcome }));
}
