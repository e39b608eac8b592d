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
