import { redactedForm, redactIdentifiers } from '../../delivery/match-keys.js';

/**
 * The request body as the delivery log keeps it. What this destination sends is already safe: e-mail,
 * phone and names leave only as SHA-256 hex, and those stay (a log search by hash finds them);
 * `regionCode` and `postalCode` stay in clear, as sent (a country and a postal code identify no one
 * on their own). The token travels in the Authorization header, never in the body. As a guard against
 * a bug, a hashed field holding anything but a 64-hex hash is replaced by its `sha256:<16 hex>` form,
 * and any other text has e-mails and phone numbers redacted.
 */

const HASHED_FIELDS = new Set(['emailAddress', 'phoneNumber', 'givenName', 'familyName']);
const HEX64 = /^[0-9a-f]{64}$/i;

export function redactBody(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(redactBody);
  if (typeof body === 'string') return redactIdentifiers(body);
  if (body === null || typeof body !== 'object') return body;
  const redacted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    redacted[key] =
      HASHED_FIELDS.has(key) && typeof value === 'string' && !HEX64.test(value)
        ? redactedForm(value)
        : redactBody(value);
  }
  return redacted;
}
