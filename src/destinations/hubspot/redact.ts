import { sha256Hex } from '../../lib/hash.js';

/**
 * The request body as the delivery log keeps it: every e-mail address in it (each input's `id`, and
 * any trait value that holds one) replaced by `sha256:<first 16 hex>` of the trimmed, lower-cased
 * address, so log lines about one contact can be matched without storing the address. The token
 * travels in a header, never in the body. Trace ids and other values are kept: they are the relay's
 * own data and what makes the log useful.
 */
export function redactBody(body: unknown): unknown {
  if (typeof body === 'string') return redactText(body);
  if (Array.isArray(body)) return body.map((element: unknown) => redactBody(element));
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, redactBody(value)]));
  }
  return body;
}

export function hashedEmail(email: string): string {
  return `sha256:${sha256Hex(email.trim().toLowerCase()).slice(0, 16)}`;
}

/** Local part, @, domain; the domain does not end with a sentence's full stop. */
const EMAIL_IN_TEXT = /[^\s@"'[\],:;<>()]+@[^\s@"'[\],:;<>()]*[^\s@"'[\],:;<>().]/g;

/** Any e-mail address inside text (HubSpot messages quote the ids) replaced by its hash. */
export function redactText(text: string): string {
  return text.replace(EMAIL_IN_TEXT, (email) => hashedEmail(email));
}
