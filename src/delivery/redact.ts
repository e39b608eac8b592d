import { sha256Hex } from '../lib/hash.js';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/** Replaces every e-mail address in a text by `sha256:<16 hex>` of its lower-cased form. */
export function redactEmails(text: string): string {
  return text.replace(EMAIL, (email) => `sha256:${sha256Hex(email.trim().toLowerCase()).slice(0, 16)}`);
}

/** A response body as the delivery log keeps it: JSON text, e-mails hashed, at most `limit` characters. */
export function responseExcerpt(body: unknown, limit = 2_000): string {
  const text = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  return redactEmails(text).slice(0, limit);
}
