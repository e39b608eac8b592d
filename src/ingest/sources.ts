import { hmacSha1Hex, safeEqual, sha256Hex } from '../lib/hash.js';
import type { SourceConfig } from '../mappings/schema.js';

/** Finds the source a request belongs to from its credential: write key or Segment signature. */
export class SourceDirectory {
  private readonly byKeyHash = new Map<string, string>();
  private readonly signed: { name: string; secret: string }[] = [];

  constructor(sources: Record<string, SourceConfig>) {
    for (const [name, source] of Object.entries(sources)) {
      // Keyed by a hash so a lookup's timing says nothing about the stored keys.
      this.byKeyHash.set(sha256Hex(source.write_key), name);
      if (source.webhook_secret) this.signed.push({ name, secret: source.webhook_secret });
    }
  }

  get size(): number {
    return this.byKeyHash.size;
  }

  byWriteKey(writeKey: string): string | undefined {
    return this.byKeyHash.get(sha256Hex(writeKey));
  }

  /**
   * Segment's `X-Signature` is hex HMAC-SHA1 of the body. Segment Actions in batch mode signs only
   * the first item's JSON, so that form is accepted for arrays too.
   */
  bySignature(signature: string, rawBody: Buffer, body: unknown): string | undefined {
    const firstItem = Array.isArray(body) && body.length > 0 ? JSON.stringify(body[0]) : undefined;
    for (const { name, secret } of this.signed) {
      if (safeEqual(hmacSha1Hex(secret, rawBody), signature)) return name;
      if (firstItem !== undefined && safeEqual(hmacSha1Hex(secret, firstItem), signature)) return name;
    }
    return undefined;
  }
}

/** The write key carried by an Authorization header: Basic (user name, or password) or Bearer. */
export function writeKeyFromAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value;
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon === -1 ? decoded : decoded.slice(0, colon);
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  return user || password || undefined;
}
