import { redactIdentifiers } from '../../delivery/match-keys.js';

/**
 * The message as the delivery log keeps it: every e-mail address and phone number in its text
 * (`show: email` names people by e-mail) becomes `sha256:<first 16 hex>`. The webhook URL, the
 * only secret, is not in the body.
 */
export function redactBody(body: unknown): unknown {
  if (typeof body === 'string') return redactIdentifiers(body);
  if (Array.isArray(body)) return body.map(redactBody);
  if (body === null || typeof body !== 'object') return body;
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, redactBody(value)]));
}
