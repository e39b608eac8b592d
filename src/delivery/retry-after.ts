/**
 * When a vendor asks to come back later, read from its answer alone: `Retry-After` (delay-seconds or
 * an HTTP date, https://www.rfc-editor.org/rfc/rfc9110#field.retry-after) and reset headers holding
 * UTC epoch seconds. Classifiers stay pure: "now" is the answer's own `Date` header (every origin
 * server sends one) or a clock the caller passes. What a wait of 0, a date in the past or an absurd
 * value means is each destination's decision; these only read the headers.
 */

const DECIMAL_SECONDS = /^\d+(\.\d+)?$/;

/** Header lookup that ignores case (HTTP/2 lowercases; fetch and axios differ). */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** The answer's `Date` header in epoch ms, when present and valid. */
export function responseDateMs(headers: Record<string, string>): number | undefined {
  const time = Date.parse(headerValue(headers, 'date') ?? '');
  return Number.isNaN(time) ? undefined : time;
}

/**
 * `Retry-After` in ms as written: delay-seconds x 1000, or an HTTP date minus `reference` (negative
 * for a date in the past). Not rounded, and not finite for absurdly long digits. Undefined when the
 * header is missing or unreadable, and for a date when `reference` is undefined (then only
 * delay-seconds are read).
 */
export function retryAfterHeaderMs(
  headers: Record<string, string>,
  reference: number | undefined,
): number | undefined {
  const value = headerValue(headers, 'retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (DECIMAL_SECONDS.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) || reference === undefined ? undefined : at - reference;
}

/** A reset header holding UTC epoch seconds (e.g. Braze's `X-RateLimit-Reset`), as ms after `reference`. */
export function resetHeaderMs(
  headers: Record<string, string>,
  name: string,
  reference: number,
): number | undefined {
  const reset = headerValue(headers, name)?.trim();
  return reset !== undefined && DECIMAL_SECONDS.test(reset) ? Number(reset) * 1000 - reference : undefined;
}

/**
 * How long to wait before retrying, from `Retry-After` and, when named, a reset header; the later of
 * the two wins. Times are measured against the answer's `Date` when it has one (no clock skew), else
 * against `now`. Undefined when neither header asks for a wait, so the delivery core falls back to
 * its own backoff.
 */
export function requestedWaitMs(
  headers: Record<string, string>,
  now: () => number,
  resetHeader?: string,
): number | undefined {
  const reference = responseDateMs(headers) ?? now();
  const waits = [
    retryAfterHeaderMs(headers, reference),
    resetHeader === undefined ? undefined : resetHeaderMs(headers, resetHeader, reference),
  ].filter((ms): ms is number => ms !== undefined && Number.isFinite(ms));
  const wait = Math.max(...waits, 0);
  return wait > 0 ? Math.ceil(wait) : undefined;
}
