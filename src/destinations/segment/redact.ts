import { redactedForm, redactIdentifiers } from '../../delivery/match-keys.js';

/**
 * The `/v1/batch` body as the delivery log keeps it: each message's `userId` and `anonymousId`
 * become `sha256:<first 16 hex>`, every e-mail address or phone number inside any text (a synced
 * `email` trait) is replaced by its redacted form, and a `writeKey` (never put there by the relay;
 * the key travels in the Authorization header) is dropped.
 */

const HASHED_KEYS = new Set(['userId', 'anonymousId']);
const SECRET_KEYS = new Set(['writeKey']);

export function redactBody(body: unknown): unknown {
  if (typeof body === 'string') return redactIdentifiers(body);
  if (Array.isArray(body)) return body.map(redactBody);
  if (body === null || typeof body !== 'object') return body;
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (SECRET_KEYS.has(key)) continue;
    redacted[key] =
      HASHED_KEYS.has(key) && typeof value === 'string' ? redactedForm(value) : redactBody(value);
  }
  return redacted;
}
