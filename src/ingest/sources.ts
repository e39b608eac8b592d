import { hmacSha1Hex, safeEqual, sha256Hex } from '../lib/hash.js';
import type { SourceConfig } from '../mappings/schema.js';

/** A source's `allowed_origins`, compiled: undefined means any origin. */
type OriginRule = ((origin: string) => boolean) | undefined;

/** Finds the source a request belongs to from its credential: write key or Segment signature. */
export class SourceDirectory {
  private readonly byKeyHash = new Map<string, string>();
  private readonly signed: { name: string; secret: string }[] = [];
  private readonly origins = new Map<string, OriginRule>();

  constructor(sources: Record<string, SourceConfig>) {
    for (const [name, source] of Object.entries(sources)) {
      // Keyed by a hash so a lookup's timing says nothing about the stored keys.
      this.byKeyHash.set(sha256Hex(source.write_key), name);
      if (source.webhook_secret) this.signed.push({ name, secret: source.webhook_secret });
      this.origins.set(name, compileOrigins(source.allowed_origins));
    }
  }

  get size(): number {
    return this.byKeyHash.size;
  }

  byWriteKey(writeKey: string): string | undefined {
    return this.byKeyHash.get(sha256Hex(writeKey));
  }

  /**
   * Segment's `X-Signature`: hex HMAC-SHA1 of the body with the source's `webhook_secret`. Only a
   * signature over the exact bytes received authenticates them. (Segment's batching webhook signs
   * only the first event of an array; such a request must carry the write key instead.)
   */
  bySignature(signature: string, rawBody: Buffer): string | undefined {
    for (const { name, secret } of this.signed) {
      if (safeEqual(hmacSha1Hex(secret, rawBody), signature)) return name;
    }
    return undefined;
  }

  /** May a browser page at `origin` send events with this source's write key? */
  allowsOrigin(source: string, origin: string): boolean {
    const rule = this.origins.get(source);
    return rule === undefined || rule(origin);
  }

  /** Does any source allow `origin` (what a CORS preflight, which carries no credential, can ask)? */
  anyAllowsOrigin(origin: string): boolean {
    for (const name of this.origins.keys()) if (this.allowsOrigin(name, origin)) return true;
    return false;
  }
}

/**
 * `allowed_origins` entries: `*` (any), an exact origin (`https://shop.example.com`, compared
 * case-insensitively), or a wildcard subdomain (`https://*.example.com`, not the bare domain).
 */
function compileOrigins(entries: string[] | undefined): OriginRule {
  if (entries === undefined || entries.includes('*')) return undefined;
  const exact = new Set<string>();
  const suffixes: { scheme: string; suffix: string }[] = [];
  for (const entry of entries.map((text) => text.toLowerCase())) {
    const wildcard = /^([a-z][a-z0-9+.-]*:\/\/)\*(\..+)$/.exec(entry);
    if (wildcard) suffixes.push({ scheme: wildcard[1] as string, suffix: wildcard[2] as string });
    else exact.add(entry);
  }
  return (origin) => {
    const candidate = origin.toLowerCase();
    if (exact.has(candidate)) return true;
    return suffixes.some(
      ({ scheme, suffix }) =>
        candidate.startsWith(scheme) &&
        candidate.endsWith(suffix) &&
        candidate.length > scheme.length + suffix.length &&
        !candidate.slice(scheme.length, candidate.length - suffix.length).includes('/'),
    );
  };
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
