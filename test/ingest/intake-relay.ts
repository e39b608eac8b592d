import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { readEnv } from '../../src/config/env.js';
import { createLogger } from '../../src/lib/logger.js';
import { startRelay, type RunningRelay } from '../../src/relay.js';

export const ADMIN_TOKEN = 'intake-tests-admin-token-0123456789';

/** Sources for intake tests: a browser source with an origin list, a server source no browser may use. */
export const BROWSER_SOURCES = {
  web: {
    write_key: 'browser-write-key-1',
    allowed_origins: ['https://shop.example.com', 'https://*.example.org'],
  },
  server: { write_key: 'server-write-key-1', webhook_secret: 'server-webhook-secret', allowed_origins: [] },
} as const;

export interface IntakeRelay {
  relay: RunningRelay;
  /** JSON log lines written so far. */
  logs: () => Record<string, unknown>[];
  close: () => Promise<void>;
}

/**
 * A relay in this process for intake tests: only the given sources (no traits, audiences or
 * destinations), processing and delivery off, SQLite under a fresh temp directory.
 */
export async function startIntakeRelay(
  options: { sources?: Record<string, object>; logLevel?: string; synchronous?: 'FULL' | 'NORMAL' } = {},
): Promise<IntakeRelay> {
  const root = mkdtempSync(join(tmpdir(), 'relay-intake-'));
  const mappings = join(root, 'mappings');
  mkdirSync(mappings);
  writeFileSync(
    join(mappings, 'sources.yaml'),
    JSON.stringify({ sources: options.sources ?? BROWSER_SOURCES }),
  );
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const relay = await startRelay({
    env: readEnv({
      PORT: '0',
      HOST: '127.0.0.1',
      STORE_URL: `sqlite:${join(root, 'relay.db')}`,
      MAPPINGS_DIR: mappings,
      ADMIN_TOKEN,
      SQLITE_SYNCHRONOUS: options.synchronous ?? 'NORMAL',
    }),
    processEnv: {},
    logger: createLogger({ level: options.logLevel ?? 'info' }, stream),
    processing: false,
    delivery: false,
  });
  return {
    relay,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    close: async () => {
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function basic(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

/** POSTs exact bytes with fetch (supertest would re-encode), answering status, headers and JSON body. */
export async function postBytes(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const bytes = typeof body === 'string' ? body : new Uint8Array(body);
  const response = await fetch(url, { method, body: method === 'POST' ? bytes : undefined, headers });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { unparsed: text };
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** `GET /admin/api/events/:messageId`: the stored event (body included), or undefined on 404. */
export async function storedEvent(
  relay: RunningRelay,
  messageId: string,
  source?: string,
): Promise<(Record<string, unknown> & { body: Record<string, unknown> }) | undefined> {
  const query = source ? `?source=${encodeURIComponent(source)}` : '';
  const response = await fetch(`${relay.url}/admin/api/events/${encodeURIComponent(messageId)}${query}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new Error(`admin API answered ${response.status}`);
  return (await response.json()) as Record<string, unknown> & { body: Record<string, unknown> };
}
