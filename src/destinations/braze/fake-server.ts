import type { Express, NextFunction, Request, Response } from 'express';
import { rateWindowOf, startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';
import { applyAttributes, isObject, profileKey, validateObject, type InputArray } from './fake-validate.js';
import { BRAZE_MAX_OBJECTS_PER_REQUEST } from './limits.js';

/**
 * A local Braze `/users/track` that behaves like the documented one: Bearer key, the 75-object limits,
 * per-object errors inside a 201, `X-RateLimit-*` headers and a 429 when throttled, plus fake-kit's
 * recording and fault switches. It keeps the profiles it was sent, for end-to-end assertions.
 * https://www.braze.com/docs/api/endpoints/user_data/post_user_track/
 */

export interface FakeBrazeOptions {
  port?: number;
  /** The only key accepted as `Authorization: Bearer <key>`. Default 'test-braze-key'. */
  apiKey?: string;
  /** Default 3,000 requests per 3,000 ms (the documented limit). */
  rateLimit?: RateLimit;
  /** Newer contracts: at most this many objects across attributes + events + purchases (75; MAU: 50). */
  combinedLimit?: number;
  seed?: number;
}

export interface TrackedEvent {
  name: string;
  time: string;
  properties?: unknown;
}

/** Makes Braze drop an otherwise valid object with this error `type` (undefined: keep it). */
export type Rejection = (array: InputArray, object: Record<string, unknown>) => string | undefined;

export interface FakeBraze extends FakeServer {
  /** Merged attributes of a user (by external_id, else email/phone/braze_id) from every accepted object. */
  attributesFor(id: string): Record<string, unknown>;
  /** Accepted events of a user, in arrival order. */
  eventsFor(id: string): TrackedEvent[];
  setRejection(rejection: Rejection | undefined): void;
}

export const MAX_INPUT_LENGTH_EXCEEDED = 'Max Input Length Exceeded';
export const VALID_DATA_REQUIRED =
  "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";
const ARRAYS: readonly InputArray[] = ['attributes', 'events', 'purchases'];

interface BrazeError {
  type: string;
  input_array: InputArray;
  index: number;
}

export async function startFakeBraze(options: FakeBrazeOptions = {}): Promise<FakeBraze> {
  const apiKey = options.apiKey ?? 'test-braze-key';
  let rejection: Rejection | undefined;
  const profiles = new Map<string, Record<string, unknown>>();
  const events = new Map<string, TrackedEvent[]>();

  const setRateHeaders = (res: Response) => {
    const window = rateWindowOf(res);
    res.setHeader('X-RateLimit-Limit', String(window.limit.requests));
    res.setHeader('X-RateLimit-Remaining', String(Math.max(0, window.remaining)));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(window.resetAt / 1000)));
  };

  const track = (req: Request, res: Response) => {
    if (req.get('authorization') !== `Bearer ${apiKey}`)
      return void res.status(401).json({ message: 'Invalid API Key' });
    const body: unknown = req.body;
    if (!isObject(body)) return void res.status(400).json({ message: VALID_DATA_REQUIRED });
    const input: Record<InputArray, unknown[]> = { attributes: [], events: [], purchases: [] };
    for (const array of ARRAYS) {
      const value = body[array];
      if (value === undefined || value === null) continue;
      if (!Array.isArray(value)) return void res.status(400).json({ message: VALID_DATA_REQUIRED });
      input[array] = value;
    }
    const total = ARRAYS.reduce((sum, array) => sum + input[array].length, 0);
    const overLimit = ARRAYS.some((array) => input[array].length > BRAZE_MAX_OBJECTS_PER_REQUEST);
    if (overLimit || (options.combinedLimit !== undefined && total > options.combinedLimit)) {
      return void res.status(400).json({ message: MAX_INPUT_LENGTH_EXCEEDED });
    }
    if (total === 0) return void res.status(400).json({ message: VALID_DATA_REQUIRED });

    const errors: BrazeError[] = [];
    const valid: Record<InputArray, Record<string, unknown>[]> = {
      attributes: [],
      events: [],
      purchases: [],
    };
    for (const array of ARRAYS) {
      input[array].forEach((object, index) => {
        const type =
          validateObject(array, object) ?? (isObject(object) ? rejection?.(array, object) : undefined);
        if (type !== undefined) errors.push({ type, input_array: array, index });
        else if (isObject(object)) valid[array].push(object);
      });
    }
    if (errors.length === total) return void res.status(400).json({ message: VALID_DATA_REQUIRED, errors });

    for (const object of valid.attributes) {
      const key = profileKey(object) ?? '';
      const profile = profiles.get(key) ?? {};
      applyAttributes(profile, object);
      profiles.set(key, profile);
    }
    for (const object of valid.events) {
      const key = profileKey(object) ?? '';
      const list = events.get(key) ?? [];
      list.push({ name: String(object.name), time: String(object.time), properties: object.properties });
      events.set(key, list);
    }
    const answer: Record<string, unknown> = { message: 'success' };
    for (const array of ARRAYS)
      if (input[array].length > 0) answer[`${array}_processed`] = valid[array].length;
    if (errors.length > 0) answer.errors = errors;
    res.status(201).json(answer);
  };

  const kit = await startFakeKit({
    port: options.port,
    seed: options.seed,
    rateLimit: options.rateLimit ?? { requests: 3000, windowMs: 3000 },
    throttled: (res, retryAfterMs) => {
      setRateHeaders(res);
      res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      res.status(429).json({ message: 'Rate limit exceeded' });
    },
    routes: (app: Express) => {
      app.use((_req: Request, res: Response, next: NextFunction) => {
        setRateHeaders(res);
        next();
      });
      app.post('/users/track', track);
      app.use((_req: Request, res: Response) => void res.status(404).json({ message: 'Not Found' }));
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        res.status(400).json({ message: 'Invalid JSON in request body' });
      });
    },
  });

  const lookup = <T>(map: Map<string, T>, id: string): T | undefined =>
    map.get(`external_id:${id}`) ??
    map.get(`email:${id}`) ??
    map.get(`phone:${id}`) ??
    map.get(`braze_id:${id}`);

  return {
    ...kit,
    reset: () => {
      kit.reset();
      profiles.clear();
      events.clear();
      rejection = undefined;
    },
    attributesFor: (id) => ({ ...(lookup(profiles, id) ?? {}) }),
    eventsFor: (id) => [...(lookup(events, id) ?? [])],
    setRejection: (next) => {
      rejection = next;
    },
  };
}
