import express, { type Express, type Request, type Response } from 'express';
import { appendFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What every fake destination server shares: recording, a sliding-window rate limit that answers
 * 429 like the real API, and fault injection (5xx, timeouts, being down, latency) for tests.
 */

/**
 * When set, every request any fake receives is also appended to this file as one JSON line
 * (`RequestRecordLine`), from every process: the test suite scans it for identifiers that must
 * never reach an ad platform.
 */
export const FAKE_RECORD_FILE_ENV = 'RELAY_FAKE_RECORD_FILE';

/** One line of the record file. Credentials are left out: the file is not a secret store. */
export interface RequestRecordLine {
  /** The destination type the fake imitates; null when it could not be told. */
  type: string | null;
  method: string;
  path: string;
  /** The query string without `?`, when there was one. */
  query?: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface RecordedRequest {
  at: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  status: number;
}

export interface FaultSettings {
  /** Share of requests answered with a 5xx (0..1). */
  errorRate?: number;
  /** Share of requests never answered (the client times out) (0..1). */
  timeoutRate?: number;
  /** Every request answered 503. */
  down?: boolean;
  /** Added before each answer. */
  latencyMs?: number;
}

export interface RateLimit {
  requests: number;
  windowMs: number;
}

/** The rate-limit window as the vendor would report it on this response. */
export interface RateWindow {
  limit: RateLimit;
  remaining: number;
  /** Epoch ms at which the oldest request in the window leaves it. */
  resetAt: number;
}

/** The window the kit's limiter saw for this request (vendor routes turn it into their headers). */
export function rateWindowOf(res: Response): RateWindow {
  return res.locals.rateWindow as RateWindow;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests that were answered 2xx. */
  accepted(): RecordedRequest[];
  setFaults(faults: FaultSettings): void;
  setRateLimit(limit: RateLimit): void;
  reset(): void;
  close(): Promise<void>;
}

export interface FakeKitOptions {
  /**
   * The destination type the fake imitates, for the record file. Default: the name of the folder
   * (`src/destinations/<type>/`) of the module that starts the kit.
   */
  type?: string;
  port?: number;
  rateLimit: RateLimit;
  /** Answers a throttled request the way the vendor does (status 429, body, headers). */
  throttled: (res: Response, retryAfterMs: number, limit: RateLimit) => void;
  /** Mounts the vendor's routes; `random` is the seeded source for fault decisions. */
  routes: (app: Express) => void;
  seed?: number;
}

export async function startFakeKit(options: FakeKitOptions): Promise<FakeServer> {
  const recordFile = process.env[FAKE_RECORD_FILE_ENV] || undefined;
  // Read before the first await: the caller's module is still on the stack.
  const type = recordFile === undefined ? null : (options.type ?? callerDestinationFolder());
  const requests: RecordedRequest[] = [];
  let faults: FaultSettings = {};
  let limit = options.rateLimit;
  let window: number[] = [];
  const random = seededRandom(options.seed ?? 42);
  const app = express();
  app.use(express.json({ limit: '10mb', verify: keepRawBody }));
  app.use((req: Request, res: Response, next) => {
    const record: RecordedRequest = {
      at: Date.now(),
      method: req.method,
      path: req.path,
      headers: flattenHeaders(req.headers),
      body: req.body as unknown,
      status: 0,
    };
    requests.push(record);
    if (recordFile !== undefined) appendRecordLine(recordFile, type, req, record);
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    const now = Date.now();
    window = window.filter((at) => at > now - limit.windowMs);
    if (faults.down) return void res.status(503).json({ message: 'service unavailable (fake is down)' });
    if (faults.timeoutRate && random() < faults.timeoutRate) return; // never answered
    if (window.length >= limit.requests) {
      const resetAt = (window[0] ?? now) + limit.windowMs;
      res.locals.rateWindow = { limit, remaining: 0, resetAt } satisfies RateWindow;
      return options.throttled(res, Math.max(1, resetAt - now), limit);
    }
    window.push(now);
    res.locals.rateWindow = {
      limit,
      remaining: limit.requests - window.length,
      resetAt: (window[0] ?? now) + limit.windowMs,
    } satisfies RateWindow;
    if (faults.errorRate && random() < faults.errorRate) {
      return void res.status(random() < 0.5 ? 500 : 502).json({ message: 'injected server error' });
    }
    if (faults.latencyMs) setTimeout(next, faults.latencyMs);
    else next();
  });
  options.routes(app);
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port ?? 0, '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted: () => requests.filter((request) => request.status >= 200 && request.status < 300),
    setFaults: (next) => {
      faults = next;
    },
    setRateLimit: (next) => {
      limit = next;
    },
    reset: () => {
      requests.length = 0;
      window = [];
      faults = {};
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The bytes of a JSON request body as received, for fakes that verify a signature over them. */
export function rawBodyOf(req: Request): Buffer | undefined {
  return (req as { rawBody?: Buffer }).rawBody;
}

function keepRawBody(req: object, _res: unknown, body: Buffer): void {
  (req as { rawBody?: Buffer }).rawBody = body;
}

/** Header names that carry credentials (Authorization, X-Api-Key, cookies, signatures...). */
const CREDENTIAL_HEADER = /auth|key|token|secret|signature|cookie/i;

function appendRecordLine(file: string, type: string | null, req: Request, record: RecordedRequest): void {
  const queryAt = req.originalUrl.indexOf('?');
  const line: RequestRecordLine = {
    type,
    method: record.method,
    path: record.path,
    ...(queryAt >= 0 ? { query: req.originalUrl.slice(queryAt + 1) } : {}),
    headers: Object.fromEntries(
      Object.entries(record.headers).filter(([name]) => !CREDENTIAL_HEADER.test(name)),
    ),
    body: record.body,
  };
  // One write per line, opened with O_APPEND: lines from concurrent test processes do not interleave.
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** `braze` when called from src/destinations/braze/fake-server.ts (or its compiled .js). */
function callerDestinationFolder(): string | null {
  const frames = (new Error().stack ?? '').split('\n');
  for (const frame of frames) {
    const match = /[\\/]destinations[\\/]([\w-]+)[\\/][\w.-]+\.[cm]?[jt]s\b/.exec(frame);
    if (match) return match[1] ?? null;
  }
  return null;
}

function flattenHeaders(headers: Request['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** Deterministic faults: the same seed gives the same sequence of failures. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
