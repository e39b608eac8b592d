import type { Request, Response } from 'express';
import { verify } from '../../lib/standard-webhooks.js';
import { rawBodyOf, startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';

/**
 * A Standard Webhooks receiver, as a careful operator would write one: it verifies every signature
 * over the raw bytes (constant-time, any of several `v1,` entries, ±300 s), refuses a tampered or
 * stale request with 401, and dedupes on `webhook-id` (a repeat is answered 200 but counted once).
 * A switch makes it answer 410, 429, 5xx... to drive the sender's classification.
 */

export const FAKE_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const FAKE_WEBHOOK_PATH = '/hook';

export interface FakeWebhookOptions {
  port?: number;
  secret?: string;
  /** Requests per window before it answers 429 with `Retry-After` (default 100 per second). */
  rateLimit?: RateLimit;
  /** The receiver's clock for the timestamp check (default Date.now). */
  now?: () => number;
  seed?: number;
}

/** A verified delivery, once per `webhook-id`. */
export interface VerifiedDelivery {
  id: string;
  timestampSeconds: number;
  body: unknown;
  /** How many verified copies arrived (retries of the same content). */
  received: number;
}

/** What the receiver answers to a verified request instead of 200, e.g. `{ status: 410 }`. */
export interface ForcedAnswer {
  status: number;
  retryAfterSeconds?: number;
}

export interface FakeWebhookReceiver extends FakeServer {
  deliveries(): VerifiedDelivery[];
  /** Requests refused for their signature, timestamp or headers. */
  refused(): { id: string | undefined; reason: string }[];
  answerWith(answer: ForcedAnswer | undefined): void;
}

export async function startFakeWebhookReceiver(
  options: FakeWebhookOptions = {},
): Promise<FakeWebhookReceiver> {
  const secret = options.secret ?? FAKE_WEBHOOK_SECRET;
  const now = options.now ?? Date.now;
  const delivered = new Map<string, VerifiedDelivery>();
  const refusals: { id: string | undefined; reason: string }[] = [];
  let forced: ForcedAnswer | undefined;

  const receive = (req: Request, res: Response) => {
    const raw = rawBodyOf(req);
    if (raw === undefined) return void res.status(400).json({ error: 'expected an application/json body' });
    const headers = {
      'webhook-id': req.get('webhook-id'),
      'webhook-timestamp': req.get('webhook-timestamp'),
      'webhook-signature': req.get('webhook-signature'),
    };
    const verdict = verify(secret, headers, raw, Math.floor(now() / 1000));
    if (!verdict.ok) {
      refusals.push({ id: headers['webhook-id'], reason: verdict.reason });
      return void res
        .status(verdict.reason === 'missing headers' ? 400 : 401)
        .json({ error: verdict.reason });
    }
    if (forced !== undefined) {
      if (forced.retryAfterSeconds !== undefined)
        res.setHeader('Retry-After', String(forced.retryAfterSeconds));
      return void res.status(forced.status).json({ error: `forced answer ${forced.status}` });
    }
    const seen = delivered.get(verdict.id);
    if (seen !== undefined) {
      seen.received += 1;
      return void res.status(200).json({ received: true, duplicate: true });
    }
    delivered.set(verdict.id, {
      id: verdict.id,
      timestampSeconds: verdict.timestampSeconds,
      body: req.body as unknown,
      received: 1,
    });
    res.status(200).json({ received: true });
  };

  const kit = await startFakeKit({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    rateLimit: options.rateLimit ?? { requests: 100, windowMs: 1_000 },
    throttled: (res, retryAfterMs) => {
      res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      res.status(429).json({ error: 'too many requests' });
    },
    routes: (app) => {
      app.post(FAKE_WEBHOOK_PATH, receive);
      app.use((req, res) => void res.status(404).json({ error: `no receiver at ${req.method} ${req.path}` }));
    },
  });

  return {
    ...kit,
    reset: () => {
      kit.reset();
      delivered.clear();
      refusals.length = 0;
      forced = undefined;
    },
    deliveries: () => [...delivered.values()].map((delivery) => ({ ...delivery })),
    refused: () => refusals.map((refusal) => ({ ...refusal })),
    answerWith: (answer) => {
      forced = answer;
    },
  };
}
