import type { Express, NextFunction, Request, Response } from 'express';
import { startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';
import { isObject, memberKeys, validateElement } from './fake-validate.js';
import { LINKEDIN_MAX_ELEMENTS } from './limits.js';

/**
 * A local LinkedIn `POST /rest/dmpSegments/{id}/users` (BATCH_CREATE) that behaves like the documented
 * one: Bearer token, the versioning and Rest.li headers, at most 5,000 elements, one status per
 * element in a 200, LinkedIn's error shapes, a 429 with serviceErrorCode 101 when throttled, plus
 * fake-kit's recording and fault switches. It keeps each segment's members for assertions.
 * https://learn.microsoft.com/en-us/linkedin/marketing/matched-audiences/create-and-manage-segment-users
 * https://learn.microsoft.com/en-us/linkedin/marketing/versioning
 */

export interface FakeLinkedinOptions {
  port?: number;
  /** The only token accepted as `Authorization: Bearer <token>`. Default 'test-linkedin-token'. */
  token?: string;
  /** Default 600 requests per minute (the documented per-member limit on `/users`). */
  rateLimit?: RateLimit;
  /** The active `LinkedIn-Version`s (YYYYMM, inclusive); others answer 426. Default 202511 to 202612. */
  versions?: { oldest: string; newest: string };
  /** The DMP segments that exist; others answer 404. Default: every numeric id. */
  segments?: string[];
  seed?: number;
}

/** What an element at a position answers instead of being applied (for partial-failure tests). */
export type ElementFault = 400 | 429;

export interface FakeLinkedin extends FakeServer {
  /** The userIds a segment holds (`SHA256_EMAIL:<hex>`, `GOOGLE_AID:<id>`), sorted. */
  members(segmentId: string): string[];
  /** Elements at these positions (in every request) answer the fault; `{}` clears. */
  setElementFaults(faults: Record<number, ElementFault>): void;
  /** While true, every request answers 429 with the daily-limit message. */
  setDailyLimitReached(reached: boolean): void;
}

export const THROTTLED_MESSAGE = 'Resource level throttle limit for calls to this resource is reached.';
export const DAY_LIMIT_MESSAGE =
  'Resource level throttle APPLICATION DAY limit for calls to this resource is reached.';
export const VERSION_MISSING_MESSAGE =
  'A version must be present. Please specify a version by adding the LinkedIn-Version header.';

const DEFAULT_VERSIONS = { oldest: '202511', newest: '202612' };

function linkedinError(res: Response, status: number, fields: Record<string, unknown>): void {
  res.status(status).json({ status, ...fields });
}

export async function startFakeLinkedin(options: FakeLinkedinOptions = {}): Promise<FakeLinkedin> {
  const token = options.token ?? 'test-linkedin-token';
  const versions = options.versions ?? DEFAULT_VERSIONS;
  const segments = new Map<string, Set<string>>();
  let faults: Record<number, ElementFault> = {};
  let dailyLimitReached = false;

  const segmentExists = (id: string) =>
    options.segments === undefined ? /^\d+$/.test(id) : options.segments.includes(id);

  const users = (req: Request, res: Response) => {
    if (req.get('authorization') !== `Bearer ${token}`) {
      return linkedinError(res, 401, {
        serviceErrorCode: 65600,
        code: 'INVALID_ACCESS_TOKEN',
        message: 'Invalid access token',
      });
    }
    if (dailyLimitReached)
      return linkedinError(res, 429, { serviceErrorCode: 101, message: DAY_LIMIT_MESSAGE });
    const version = req.get('linkedin-version');
    if (version === undefined || version === '') {
      return linkedinError(res, 400, { code: 'VERSION_MISSING', message: VERSION_MISSING_MESSAGE });
    }
    if (!/^\d{6}$/.test(version) || version < versions.oldest || version > versions.newest) {
      return linkedinError(res, 426, {
        code: 'NONEXISTENT_VERSION',
        message: `Requested version ${version} is not active`,
      });
    }
    if (req.get('x-restli-protocol-version') !== '2.0.0') {
      return linkedinError(res, 400, { message: 'X-Restli-Protocol-Version 2.0.0 is required' });
    }
    if (req.get('x-restli-method')?.toUpperCase() !== 'BATCH_CREATE') {
      return linkedinError(res, 400, { message: 'X-RestLi-Method BATCH_CREATE is required to add users' });
    }
    const segmentId = String(req.params.segmentId);
    if (!segmentExists(segmentId)) {
      return linkedinError(res, 404, { message: `No DMP segment with id ${segmentId}` });
    }
    const body: unknown = req.body;
    const elements: unknown = isObject(body) ? body.elements : undefined;
    if (!Array.isArray(elements) || elements.length === 0) {
      return linkedinError(res, 400, { message: 'elements must be a non-empty array' });
    }
    if (elements.length > LINKEDIN_MAX_ELEMENTS) {
      return linkedinError(res, 400, {
        message: `Batch size ${elements.length} exceeds the limit of ${LINKEDIN_MAX_ELEMENTS} elements`,
      });
    }
    const members = segments.get(segmentId) ?? new Set<string>();
    segments.set(segmentId, members);
    const results = elements.map((element, index) => {
      const fault = faults[index];
      if (fault === 429) return { status: 429, error: { message: THROTTLED_MESSAGE, status: 429 } };
      if (fault === 400)
        return { status: 400, error: { message: 'Invalid element (injected)', status: 400 } };
      const problem = validateElement(element);
      if (problem !== undefined || !isObject(element)) {
        return { status: 400, error: { message: problem ?? 'invalid element', status: 400 } };
      }
      for (const key of memberKeys(element)) {
        if (element.action === 'ADD') members.add(key);
        else members.delete(key);
      }
      return { status: 201 };
    });
    res.status(200).json({ elements: results });
  };

  const kit = await startFakeKit({
    // The folder is `linkedin/`, the type is what the mappings and the registry call it.
    type: 'linkedin_dmp_segment',
    port: options.port,
    seed: options.seed,
    rateLimit: options.rateLimit ?? { requests: 600, windowMs: 60_000 },
    throttled: (res) => linkedinError(res, 429, { serviceErrorCode: 101, message: THROTTLED_MESSAGE }),
    routes: (app: Express) => {
      app.post('/rest/dmpSegments/:segmentId/users', users);
      app.use((req: Request, res: Response) =>
        linkedinError(res, 404, { message: `No resource at ${req.method} ${req.path}` }),
      );
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) =>
        linkedinError(res, 400, { message: 'The request body is not valid JSON' }),
      );
    },
  });

  return {
    ...kit,
    reset: () => {
      kit.reset();
      segments.clear();
      faults = {};
      dailyLimitReached = false;
    },
    members: (segmentId) => [...(segments.get(segmentId) ?? [])].sort(),
    setElementFaults: (next) => {
      faults = { ...next };
    },
    setDailyLimitReached: (reached) => {
      dailyLimitReached = reached;
    },
  };
}
