import type { Express, NextFunction, Request, Response } from 'express';
import { rateWindowOf, startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';
import { FAKE_SEGMENT_WRITE_KEY, SINGLE_EVENT_TYPES, isObject } from './fake-describe.js';
import { SEGMENT_MAX_BATCH_BYTES, SEGMENT_MAX_EVENT_BYTES, SEGMENT_MAX_EVENTS_PER_BATCH } from './limits.js';

/**
 * A local Segment HTTP tracking API (`/v1/batch` and the single-event paths) that behaves like the
 * documented one (README.md "The API"): the write key as Basic-auth user name or body `writeKey`;
 * 400 for a body that is not JSON, has no write key, or breaks a size limit (32 KB per event, 500 KB
 * per request); `200 {"success":true}` for everything else, even events Segment then drops (no
 * userId/anonymousId, a track without `event`, more than 2,500 in a batch, an unknown write key);
 * duplicates by messageId are dropped; 429 with `Retry-After` when over the rate limit, plus
 * fake-kit's recording and fault switches. `events()` lists what Segment would keep.
 */

export interface FakeSegmentOptions {
  port?: number;
  /** The write key of the fake's only source. Default 'test-segment-key'. */
  writeKey?: string;
  /** Default 1,000 requests per second (Segment's advice per workspace). */
  rateLimit?: RateLimit;
  seed?: number;
}

export type SegmentEvent = Record<string, unknown>;

export interface FakeSegment extends FakeServer {
  /** Events kept, in arrival order, with the batch's `context` and `integrations` merged in. */
  events(): SegmentEvent[];
  /** Events answered 200 but not kept: invalid, duplicate, over 2,500 in a batch, or an unknown key. */
  dropped(): { reason: string; event: unknown }[];
}

export { FAKE_SEGMENT_WRITE_KEY };

export async function startFakeSegment(options: FakeSegmentOptions = {}): Promise<FakeSegment> {
  const writeKey = options.writeKey ?? FAKE_SEGMENT_WRITE_KEY;
  const kept: SegmentEvent[] = [];
  const dropped: { reason: string; event: unknown }[] = [];
  const seen = new Set<string>();

  const refuse = (res: Response, message: string) => void res.status(400).json({ success: false, message });

  const receive = (req: Request, res: Response) => {
    const body: unknown = req.body;
    if (!isObject(body) || !req.is('application/json')) return refuse(res, 'Invalid JSON');
    const method: unknown = req.params.method;
    const single = typeof method === 'string' ? method : undefined;
    if (single !== undefined && !SINGLE_EVENT_TYPES.has(single)) {
      return void res.status(404).json({ success: false, message: 'Not Found' });
    }
    const key = keyOf(req, body);
    if (key === undefined) return refuse(res, 'missing write key');
    const bytes = Number(req.get('content-length') ?? Buffer.byteLength(JSON.stringify(body)));
    const limit = single === undefined ? SEGMENT_MAX_BATCH_BYTES : SEGMENT_MAX_EVENT_BYTES;
    if (bytes > limit) return refuse(res, `request of ${bytes} bytes is over ${limit / 1024} KB`);

    let events: unknown[];
    if (single === undefined) {
      if (!Array.isArray(body.batch)) return refuse(res, 'batch must be an array');
      events = body.batch.map((event) => withShared(event, body));
    } else events = [{ ...body, type: body.type ?? single }];
    const oversize = events.find(
      (event) => Buffer.byteLength(JSON.stringify(event)) > SEGMENT_MAX_EVENT_BYTES,
    );
    if (oversize !== undefined) return refuse(res, `an event is over ${SEGMENT_MAX_EVENT_BYTES / 1024} KB`);

    const drop = (reason: string) => (event: unknown) => dropped.push({ reason, event });
    if (key !== writeKey) events.forEach(drop('unknown write key'));
    else if (events.length > SEGMENT_MAX_EVENTS_PER_BATCH) events.forEach(drop('over 2,500 events'));
    else {
      for (const event of events) {
        const invalid = isObject(event) ? invalidReason(event) : 'not an object';
        if (invalid !== undefined || !isObject(event)) drop(invalid ?? 'not an object')(event);
        else if (typeof event.messageId === 'string' && seen.has(event.messageId)) {
          drop('duplicate messageId')(event);
        } else {
          if (typeof event.messageId === 'string') seen.add(event.messageId);
          kept.push(event);
        }
      }
    }
    res.status(200).json({ success: true });
  };

  const kit = await startFakeKit({
    port: options.port,
    seed: options.seed,
    rateLimit: options.rateLimit ?? { requests: 1000, windowMs: 1000 },
    throttled: (res, retryAfterMs) => {
      const window = rateWindowOf(res);
      res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      res.setHeader('X-RateLimit-Reset', String(Math.ceil(window.resetAt / 1000)));
      res.status(429).json({ success: false, message: 'Too Many Requests' });
    },
    routes: (app: Express) => {
      app.post('/v1/batch', receive);
      app.post('/v1/:method', receive);
      app.use(
        (_req: Request, res: Response) => void res.status(404).json({ success: false, message: 'Not Found' }),
      );
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) =>
        refuse(res, 'Invalid JSON'),
      );
    },
  });

  return {
    ...kit,
    reset: () => {
      kit.reset();
      kept.length = 0;
      dropped.length = 0;
      seen.clear();
    },
    events: () => [...kept],
    dropped: () => [...dropped],
  };
}

/** The Basic-auth user name (`base64("<key>:")`), else the body's `writeKey`. */
function keyOf(req: Request, body: Record<string, unknown>): string | undefined {
  const match = /^Basic\s+(.+)$/i.exec(req.get('authorization') ?? '');
  if (match?.[1] !== undefined) {
    const user = Buffer.from(match[1], 'base64').toString('utf8').split(':')[0] ?? '';
    if (user !== '') return user;
  }
  return typeof body.writeKey === 'string' && body.writeKey !== '' ? body.writeKey : undefined;
}

/** A batch's top-level `context` and `integrations` merged into the event (the event's own win). */
function withShared(event: unknown, body: Record<string, unknown>): unknown {
  if (!isObject(event)) return event;
  const merged: SegmentEvent = { ...event };
  for (const field of ['context', 'integrations'] as const) {
    const shared = body[field];
    if (isObject(shared)) merged[field] = { ...shared, ...(isObject(event[field]) ? event[field] : {}) };
  }
  return merged;
}

/** Why Segment would drop the event (it still answers 200), or undefined when it is kept. */
function invalidReason(event: SegmentEvent): string | undefined {
  if (typeof event.type !== 'string' || !SINGLE_EVENT_TYPES.has(event.type)) return 'no valid type';
  if (!present(event.userId) && !present(event.anonymousId)) return 'no_user_anon_id';
  if (event.type === 'track' && !present(event.event)) return 'track without event';
  if (event.type === 'group' && !present(event.groupId)) return 'group without groupId';
  if (event.type === 'alias' && (!present(event.previousId) || !present(event.userId)))
    return 'alias without previousId and userId';
  return undefined;
}

function present(value: unknown): boolean {
  return (typeof value === 'string' && value !== '') || typeof value === 'number';
}
