import { createHmac } from 'node:crypto';
import { safeEqual } from './hash.js';

/**
 * Standard Webhooks v1 signing and verification (https://www.standardwebhooks.com/, spec
 * `spec/standard-webhooks.md` in github.com/standard-webhooks/standard-webhooks): the sender signs
 * `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256 and sends `v1,<base64>`; the receiver
 * recomputes it over the raw bytes it received. Shared by the webhook destination and its receiver fake.
 */

export const SECRET_PREFIX = 'whsec_';
/** Reference libraries' `WEBHOOK_TOLERANCE_IN_SECONDS`: timestamps further in the past or future are refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a `whsec_<base64>` secret, or why the secret is not one. */
export function secretKey(secret: string): { key: Buffer } | { error: string } {
  if (!secret.startsWith(SECRET_PREFIX)) return { error: `must start with ${SECRET_PREFIX}` };
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0)
    return { error: `must be ${SECRET_PREFIX} followed by base64` };
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES)
    return { error: `must hold ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes (has ${key.length})` };
  return { key };
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. Throws for a malformed secret (settings parse it first). */
export function sign(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const parsed = secretKey(secret);
  if ('error' in parsed) throw new Error(`webhook secret ${parsed.error}`);
  const digest = createHmac('sha256', parsed.key)
    .update(`${id}.${timestampSeconds}.`)
    .update(body)
    .digest('base64');
  return `v1,${digest}`;
}

/** The three `webhook-*` headers of one attempt; `timestampSeconds` must be the time of sending. */
export function signedHeaders(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': sign(secret, id, timestampSeconds, body),
  };
}

export type Verification =
  | { ok: true; id: string; timestampSeconds: number }
  | { ok: false; reason: 'missing headers' | 'timestamp out of tolerance' | 'no matching signature' };

/**
 * What a receiver checks: the headers are there, the timestamp is within ±300 s of `nowSeconds`, and
 * one `v1,` entry of the space-separated signature list matches (constant-time compare). Other
 * versions (`v1a,` = ed25519) are ignored.
 */
export function verify(
  secret: string,
  headers: Record<string, string | undefined>,
  rawBody: string | Buffer,
  nowSeconds: number,
): Verification {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp))
    return { ok: false, reason: 'missing headers' };
  const timestampSeconds = Number(timestamp);
  if (Math.abs(nowSeconds - timestampSeconds) > WEBHOOK_TOLERANCE_SECONDS)
    return { ok: false, reason: 'timestamp out of tolerance' };
  const expected = sign(secret, id, timestampSeconds, rawBody);
  let matched = false;
  for (const entry of signatures.split(' ')) {
    // Every entry is compared, so the time taken does not tell which one matched.
    if (entry.startsWith('v1,') && safeEqual(entry, expected)) matched = true;
  }
  return matched ? { ok: true, id, timestampSeconds } : { ok: false, reason: 'no matching signature' };
}
