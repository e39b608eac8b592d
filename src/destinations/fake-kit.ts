import express, { type Express, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What every fake destination server shares: recording, a sliding-window rate limit that answers
 * 429 like the real API, and fault injection (5xx, timeouts, being down, latency) for tests.
 */

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
  port?: number;
  rateLimit: RateLimit;
  /** Answers a throttled request the way the vendor does (status 429, body, headers). */
  throttled: (res: Response, retryAfterMs: number, limit: RateLimit) => void;
  /** Mounts the vendor's routes; `random` is the seeded source for fault decisions. */
  routes: (app: Express) => void;
  seed?: number;
}

export async function startFakeKit(options: FakeKitOptions): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  let faults: FaultSettings = {};
  let limit = options.rateLimit;
  let window: number[] = [];
  const random = seededRandom(options.seed ?? 42);
  const app = express();
  app.use(express.json({ limit: '10mb' }));
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
