import { redactIdentifiers } from './match-keys.js';

/** Replaces every e-mail address (and international phone number) by `sha256:<16 hex>`. */
export function redactEmails(text: string): string {
  return redactIdentifiers(text);
}

/** A response body as the delivery log keeps it: JSON text, identifiers redacted, at most `limit` characters. */
export function responseExcerpt(body: unknown, limit = 2_000): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  return redactIdentifiers(text).slice(0, limit);
}
