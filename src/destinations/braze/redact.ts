import { sha256Hex } from '../../lib/hash.js';

/**
 * The `/users/track` body as the delivery log keeps it: every `external_id`, `email` and `phone`, at
 * any depth (attribute, event and purchase objects, user aliases), becomes `sha256:<first 16 hex>` of
 * its value, so a log search by hashed id still finds it; `api_key` (the legacy in-body key) is dropped.
 * The real key travels only in the Authorization header, which is not part of the body.
 */

const HASHED_KEYS = new Set(['external_id', 'email', 'phone']);
const SECRET_KEYS = new Set(['api_key']);

export function redactBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redactBody);
  if (body === null || typeof body !== 'object') return body;
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (SECRET_KEYS.has(key)) continue;
    redacted[key] = HASHED_KEYS.has(key) ? hashIdentifier(value) : redactBody(value);
  }
  return redacted;
}

/** `sha256:` + the first 16 hex chars of SHA-256 of the value; null and undefined stay as they are. */
export function hashIdentifier(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `sha256:${sha256Hex(text).slice(0, 16)}`;
}
