import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SourceDirectory } from '../../src/ingest/sources.js';
import { SourceConfig } from '../../src/mappings/schema.js';

describe('sources: allowed_origins', () => {
  const directory = new SourceDirectory({
    web: {
      write_key: 'web-write-key',
      allowed_origins: ['https://shop.example.com', 'https://*.example.org'],
    },
    server: { write_key: 'server-write-key', allowed_origins: [] },
    open: { write_key: 'open-write-key' },
  });

  it('matches exact origins case-insensitively and wildcard subdomains, not the bare domain', () => {
    expect(directory.allowsOrigin('web', 'https://shop.example.com')).toBe(true);
    expect(directory.allowsOrigin('web', 'HTTPS://SHOP.EXAMPLE.COM')).toBe(true);
    expect(directory.allowsOrigin('web', 'http://shop.example.com')).toBe(false);
    expect(directory.allowsOrigin('web', 'https://shop.example.com:8443')).toBe(false);
    expect(directory.allowsOrigin('web', 'https://www.example.org')).toBe(true);
    expect(directory.allowsOrigin('web', 'https://a.b.example.org')).toBe(true);
    expect(directory.allowsOrigin('web', 'https://example.org')).toBe(false);
    expect(directory.allowsOrigin('web', 'https://evilexample.org')).toBe(false);
    expect(directory.allowsOrigin('server', 'https://shop.example.com')).toBe(false);
    expect(directory.allowsOrigin('open', 'https://anything.example.net')).toBe(true);
    expect(directory.anyAllowsOrigin('https://anything.example.net')).toBe(true);
  });

  it('lets a preflight through only when some source allows the origin', () => {
    const strict = new SourceDirectory({
      web: { write_key: 'web-write-key', allowed_origins: ['https://shop.example.com'] },
      server: { write_key: 'server-write-key', allowed_origins: [] },
    });
    expect(strict.anyAllowsOrigin('https://shop.example.com')).toBe(true);
    expect(strict.anyAllowsOrigin('https://evil.example.net')).toBe(false);
  });

  it('refuses an origin with a path or a bad wildcard in the mapping file, naming the form', () => {
    expect(
      SourceConfig.safeParse({
        write_key: 'web-write-key',
        allowed_origins: ['*', 'null', 'http://localhost:3000'],
      }).success,
    ).toBe(true);
    for (const bad of [
      'https://shop.example.com/',
      'shop.example.com',
      'https://*',
      'https://a.*.example.com',
    ]) {
      const result = SourceConfig.safeParse({ write_key: 'web-write-key', allowed_origins: [bad] });
      expect(result.success, bad).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(
        /^must be an origin such as https:\/\/www\.example\.com/,
      );
    }
  });
});

describe('sources: X-Signature covers exactly the bytes it signs', () => {
  const directory = new SourceDirectory({
    web: { write_key: 'web-write-key', webhook_secret: 'webhook-secret' },
  });
  const sign = (text: string) => createHmac('sha1', 'webhook-secret').update(text).digest('hex');

  it('accepts the HMAC of the raw body, and nothing signed over other bytes', () => {
    const body = '{"type":"track","event":"e","userId":"u"}';
    expect(directory.bySignature(sign(body), Buffer.from(body))).toBe('web');
    const batch = `[${body},{"type":"track","event":"appended","userId":"v"}]`;
    expect(directory.bySignature(sign(body), Buffer.from(batch))).toBeUndefined();
    expect(directory.bySignature(sign(body), Buffer.from(`${body} `))).toBeUndefined();
  });
});
