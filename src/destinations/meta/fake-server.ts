import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { rateWindowOf, startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';
import { readAdSetUpdate, readUpload, type MemberRow, type UploadSession } from './fake-payload.js';

/**
 * A local Graph API for custom audience uploads, faithful to Meta's documentation (README.md):
 * `POST` / `DELETE /{version}/{audience_id}/users`, the token as `Authorization: Bearer` or
 * `access_token`, expired versions refused (2635), the body shapes and the 10,000-row cap (100),
 * rows that are not hashed counted in `num_invalid_entries`, upload sessions, the documented success
 * shape, and the `custom_audience` rate limit answered like Meta (HTTP 400, code 80003,
 * `X-Business-Use-Case-Usage`). It keeps each audience's rows, so tests can see what Meta holds; a
 * removal row takes away every held row that shares a key with it (Meta matches people on any key).
 * Ad set updates (`POST /{version}/{ad_set_id}` with `daily_budget`, the budget push) are kept per ad set.
 * https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
 */

export const FAKE_META_TOKEN = 'test-meta-token';
/** The oldest version Meta still serves. */
export const OLDEST_LIVE_VERSION = 25;
const LATEST_VERSION = 'v27.0';
const BUSINESS_ID = '100200300400500';

export interface FakeMetaOptions {
  port?: number;
  /** The only accepted token. Default 'test-meta-token'. */
  token?: string;
  /** Default: 190,000 calls per hour, the smallest Full-tier `custom_audience` budget. */
  rateLimit?: RateLimit;
  seed?: number;
}

/** An error every request is answered with until cleared (e.g. 613, 190, 100/1713230). */
export interface ForcedError {
  code: number;
  subcode?: number;
  /** HTTP status; default 400, as Meta answers most errors. */
  status?: number;
  message?: string;
  type?: string;
  /** Sent as `estimated_time_to_regain_access` in `X-Business-Use-Case-Usage`. */
  regainMinutes?: number;
}

export interface SessionRecord {
  batches: number[];
  complete: boolean;
  received: number;
}

export interface FakeMeta extends FakeServer {
  /** The rows the audience holds (non-empty fields of each), in the order they were added. */
  members(audienceId: string): MemberRow[];
  /** Upload sessions of an audience by session id. */
  sessions(audienceId: string): Record<string, SessionRecord>;
  /** An ad set's `daily_budget` (minor units) as last updated, undefined when never. */
  adSetBudget(adSetId: string): number | undefined;
  forceError(error: ForcedError | undefined): void;
}

export async function startFakeMeta(options: FakeMetaOptions = {}): Promise<FakeMeta> {
  const token = options.token ?? FAKE_META_TOKEN;
  const audiences = new Map<string, Map<string, MemberRow>>();
  const sessions = new Map<string, Map<string, SessionRecord>>();
  const adSetBudgets = new Map<string, number>();
  let forced: ForcedError | undefined;
  let traces = 0;
  let generatedSessions = 0;

  const usageHeader = (res: Response, regainMinutes: number) => {
    const window = rateWindowOf(res);
    const used = window.limit.requests - Math.max(0, window.remaining);
    const percent = Math.min(100, Math.round((used / window.limit.requests) * 100));
    res.setHeader(
      'X-Business-Use-Case-Usage',
      JSON.stringify({
        [BUSINESS_ID]: [
          {
            type: 'custom_audience',
            call_count: percent,
            total_cputime: 0,
            total_time: 0,
            estimated_time_to_regain_access: regainMinutes,
          },
        ],
      }),
    );
  };
  const graphError = (res: Response, status: number, error: Omit<ForcedError, 'status'>) => {
    traces += 1;
    res.status(status).json({
      error: {
        message: error.message ?? `(#${error.code}) Error`,
        type: error.type ?? 'OAuthException',
        code: error.code,
        ...(error.subcode !== undefined ? { error_subcode: error.subcode } : {}),
        fbtrace_id: `FakeTrace${String(traces).padStart(6, '0')}`,
      },
    });
  };

  /** The checks every call passes first: a forced error, the token, the version. False: answered. */
  const admitted = (req: Request, res: Response): boolean => {
    const version = String(req.params.version);
    if (forced) {
      if (forced.regainMinutes !== undefined) usageHeader(res, forced.regainMinutes);
      graphError(res, forced.status ?? 400, forced);
      return false;
    }
    const sent =
      bearer(req) ?? (typeof req.query.access_token === 'string' ? req.query.access_token : undefined);
    if (sent === undefined || sent === '') {
      graphError(res, 400, { code: 104, message: 'An access token is required to request this resource.' });
      return false;
    }
    if (sent !== token) {
      graphError(res, 400, { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
      return false;
    }
    const major = /^v(\d+)\.0$/.exec(version)?.[1];
    if (major === undefined) {
      graphError(res, 400, { code: 2500, message: `Unknown path components: /${version}` });
      return false;
    }
    if (Number(major) < OLDEST_LIVE_VERSION) {
      graphError(res, 400, {
        code: 2635,
        message: `(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: ${LATEST_VERSION}.`,
      });
      return false;
    }
    return true;
  };
  /** An id that is not numeric names no object. False: answered. */
  const knownObject = (req: Request, res: Response, id: string): boolean => {
    if (/^\d+$/.test(id)) return true;
    graphError(res, 400, {
      code: 100,
      subcode: 33,
      type: 'GraphMethodException',
      message: `Unsupported ${req.method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    });
    return false;
  };

  const users = (req: Request, res: Response) => {
    const audienceId = String(req.params.audienceId);
    if (!admitted(req, res) || !knownObject(req, res, audienceId)) return;
    const upload = readUpload(req.body);
    if ('error' in upload) return graphError(res, 400, { code: 100, message: upload.error });

    const members = audiences.get(audienceId) ?? new Map<string, MemberRow>();
    audiences.set(audienceId, members);
    if (req.method === 'POST') for (const row of upload.valid) members.set(rowKey(row), row);
    else
      for (const row of upload.valid)
        for (const [key, member] of members) if (sharesKey(member, row)) members.delete(key);

    const sessionId = upload.session?.sessionId ?? String(9_000_000_000 + (generatedSessions += 1));
    if (upload.session) recordSession(audienceId, upload.session, upload.received);
    res.status(200).json({
      audience_id: audienceId,
      session_id: sessionId,
      num_received: upload.received,
      num_invalid_entries: upload.invalid.length,
      invalid_entry_samples: Object.fromEntries(
        upload.invalid.slice(0, 10).map((entry) => [entry.sample, entry.reason]),
      ),
    });
  };

  const recordSession = (audienceId: string, session: UploadSession, received: number) => {
    const byId = sessions.get(audienceId) ?? new Map<string, SessionRecord>();
    sessions.set(audienceId, byId);
    const record = byId.get(session.sessionId) ?? { batches: [], complete: false, received: 0 };
    record.batches.push(session.batchSeq);
    record.received += received;
    record.complete ||= session.last;
    byId.set(session.sessionId, record);
  };

  const kit = await startFakeKit({
    type: 'meta_custom_audience',
    port: options.port,
    seed: options.seed,
    rateLimit: options.rateLimit ?? { requests: 190_000, windowMs: 3_600_000 },
    throttled: (res, retryAfterMs) => {
      usageHeader(res, Math.max(1, Math.ceil(retryAfterMs / 60_000)));
      graphError(res, 400, {
        code: 80003,
        message:
          '(#80003) There have been too many calls to this ad-account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting#custom-audience.',
      });
    },
    routes: (app: Express) => {
      // Meta also takes the form encoding: `payload=<json text>`.
      app.use(express.urlencoded({ extended: false }));
      app.use((_req: Request, res: Response, next: NextFunction) => {
        usageHeader(res, 0);
        next();
      });
      app.post('/:version/:audienceId/users', users);
      app.delete('/:version/:audienceId/users', users);
      app.post('/:version/:adSetId', (req: Request, res: Response) => {
        const adSetId = String(req.params.adSetId);
        if (!admitted(req, res) || !knownObject(req, res, adSetId)) return;
        const update = readAdSetUpdate(req.body);
        if ('error' in update) return graphError(res, 400, { code: 100, message: update.error });
        adSetBudgets.set(adSetId, update.dailyBudget);
        res.status(200).json({ success: true });
      });
      app.use((req: Request, res: Response) =>
        graphError(res, 400, { code: 2500, message: `Unknown path components: ${req.path}` }),
      );
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) =>
        graphError(res, 400, { code: 100, message: '(#100) The request body is not valid JSON' }),
      );
    },
  });

  return {
    ...kit,
    reset: () => {
      kit.reset();
      audiences.clear();
      sessions.clear();
      adSetBudgets.clear();
      forced = undefined;
    },
    members: (audienceId) => [...(audiences.get(audienceId)?.values() ?? [])].map((row) => ({ ...row })),
    sessions: (audienceId) =>
      Object.fromEntries(
        [...(sessions.get(audienceId) ?? new Map<string, SessionRecord>())].map(([id, record]) => [
          id,
          { ...record, batches: [...record.batches] },
        ]),
      ),
    adSetBudget: (adSetId) => adSetBudgets.get(adSetId),
    forceError: (error) => {
      forced = error;
    },
  };
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/** Fields sorted, so the same row is one member however its columns were ordered. */
function rowKey(row: MemberRow): string {
  return JSON.stringify(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function sharesKey(member: MemberRow, row: MemberRow): boolean {
  return Object.entries(row).some(([field, value]) => member[field] === value);
}
