import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';
import { INGEST_PATH, REMOVE_PATH, STATUS_PATH, type MembersCall } from './api.js';
import { CAMPAIGN_BUDGETS_PATH, mutateCampaignBudgets } from './fake-campaign-budgets.js';
import { checkMembersRequest, type CheckedMember, type Violation } from './fake-validate.js';
import { REQUESTS_PER_MINUTE } from './limits.js';

/**
 * A local Data Manager API for tests and `audience-relay fakes`, faithful to Google's documentation
 * (README.md "The API"): bearer auth answered 401 UNAUTHENTICATED, the ingest and remove bodies checked
 * field by field (400 INVALID_ARGUMENT with `BadRequest.fieldViolations` naming the members), the
 * 300 requests/minute quota answered 429 RESOURCE_EXHAUSTED, a `requestId` per accepted request, and
 * `requestStatus:retrieve` answering PROCESSING for a while, then SUCCESS, PARTIAL_SUCCESS or FAILED
 * with counts. Each list's identifiers are kept, so tests can assert what Google holds. It also takes
 * the Google Ads campaign budget updates of the budget push (fake-campaign-budgets.ts).
 */

export const FAKE_GOOGLE_TOKEN = 'test-google-token';

/** How a malformed hash is answered: refused at once (400), or accepted and reported by requestStatus. */
export type FormatErrors = 'reject' | 'report';

export interface FakeGoogleOptions {
  port?: number;
  /** The only accepted OAuth access token. */
  token?: string;
  /** Requests per rolling window (Google: 300 per minute per Cloud project). */
  rateLimit?: RateLimit;
  seed?: number;
  formatErrors?: FormatErrors;
  /** How many `requestStatus:retrieve` calls answer PROCESSING before the result (default 1). */
  processingPolls?: number;
}

export interface FakeGoogle extends FakeServer {
  /** What the list holds: sorted storage keys (`emailAddress:<hex>`, `phoneNumber:<hex>`, `address:…`). */
  identifiers(listId: string): string[];
  /** A Google Ads campaign budget's `amountMicros` (text) as last mutated, undefined when never. */
  campaignBudget(customerId: string, budgetId: string): string | undefined;
  setFormatErrors(mode: FormatErrors): void;
  setProcessingPolls(count: number): void;
  /** Accept the next uploads but apply nothing and report them FAILED. */
  setForcedFailure(on: boolean): void;
}

interface Upload {
  call: MembersCall;
  destinations: Record<string, unknown>[];
  records: number;
  identifierCount: number;
  failedRecords: number;
  failure: 'none' | 'format' | 'forced';
  polls: number;
}

export async function startFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const token = options.token ?? FAKE_GOOGLE_TOKEN;
  let formatErrors: FormatErrors = options.formatErrors ?? 'reject';
  let processingPolls = options.processingPolls ?? 1;
  let forcedFailure = false;
  const lists = new Map<string, Set<string>>();
  const uploads = new Map<string, Upload>();
  /** Google Ads campaign budgets (the budget push): resource name -> amount in micros. */
  const campaignBudgets = new Map<string, string>();

  const authorized = (req: Request, res: Response): boolean => {
    const header = req.headers.authorization;
    if (header === `Bearer ${token}`) return true;
    const missing = header === undefined;
    rpcError(
      res,
      401,
      'UNAUTHENTICATED',
      `Request ${missing ? 'is missing required' : 'had invalid'} authentication credential${missing ? '' : 's'}. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.`,
      missing ? [errorInfo('CREDENTIALS_MISSING', 'googleapis.com')] : [],
    );
    return false;
  };

  const members = (call: MembersCall) => (req: Request, res: Response) => {
    if (!authorized(req, res)) return;
    const checked = checkMembersRequest(req.body, call);
    if (!checked.ok) return refuse(res, checked.violations);
    const formatProblems = checked.members.flatMap((member) => member.format);
    if (formatProblems.length > 0 && formatErrors === 'reject') return refuse(res, formatProblems);
    const requestId = randomUUID();
    if (!checked.validateOnly) {
      const failure = forcedFailure ? 'forced' : formatProblems.length > 0 ? 'format' : 'none';
      if (!forcedFailure) apply(call, checked.destinations, checked.members);
      uploads.set(requestId, {
        call,
        destinations: checked.destinations,
        records: checked.members.length,
        identifierCount: checked.members.reduce((sum, m) => sum + m.identifiers.length + m.format.length, 0),
        failedRecords: forcedFailure
          ? checked.members.length
          : checked.members.filter((member) => member.format.length > 0).length,
        failure,
        polls: 0,
      });
    }
    res.status(200).json({ requestId });
  };

  const apply = (call: MembersCall, destinations: Record<string, unknown>[], checked: CheckedMember[]) => {
    for (const destination of destinations) {
      const listId = String(destination.productDestinationId);
      const held = lists.get(listId) ?? new Set<string>();
      for (const member of checked) {
        // A member with a malformed identifier is dropped whole (reported as a failed record).
        if (member.format.length > 0) continue;
        for (const key of member.identifiers) {
          if (call === 'ingest') held.add(key);
          else held.delete(key);
        }
      }
      lists.set(listId, held);
    }
  };

  const status = (req: Request, res: Response) => {
    if (!authorized(req, res)) return;
    const requestId = typeof req.query.requestId === 'string' ? req.query.requestId : '';
    if (requestId === '') {
      return refuse(res, [
        { field: 'request_id', reason: 'REQUIRED_FIELD_MISSING', description: 'Required field is missing.' },
      ]);
    }
    const upload = uploads.get(requestId);
    if (upload === undefined)
      return rpcError(res, 404, 'NOT_FOUND', 'Resource not found.', [errorInfo('NOT_FOUND')]);
    upload.polls += 1;
    const processing = upload.polls <= processingPolls;
    res.status(200).json({
      requestStatusPerDestination: upload.destinations.map((destination) =>
        processing ? { destination, requestStatus: 'PROCESSING' } : finalStatus(upload, destination),
      ),
    });
  };

  const kit = await startFakeKit({
    type: 'google_customer_match',
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    rateLimit: options.rateLimit ?? { requests: REQUESTS_PER_MINUTE, windowMs: 60_000 },
    // Google's quota errors carry no Retry-After (unconfirmed): the client waits out the minute.
    throttled: (res) =>
      rpcError(
        res,
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute' of service 'datamanager.googleapis.com'.",
        [errorInfo('RATE_LIMIT_EXCEEDED', 'googleapis.com')],
      ),
    routes: (app) => {
      app.use((req, res, next) => {
        const [, versionPart = '', method = ''] = /^\/([^/]+)\/(.+)$/.exec(req.path) ?? [];
        if (!/^v\d+[a-z0-9]*$/.test(versionPart)) return next();
        if (req.method === 'POST' && method === INGEST_PATH) return members('ingest')(req, res);
        if (req.method === 'POST' && method === REMOVE_PATH) return members('remove')(req, res);
        if (req.method === 'GET' && method === STATUS_PATH) return status(req, res);
        const customer = CAMPAIGN_BUDGETS_PATH.exec(method)?.[1];
        if (req.method === 'POST' && customer !== undefined) {
          if (!authorized(req, res)) return;
          return mutateCampaignBudgets(req, res, customer, campaignBudgets, rpcError);
        }
        next();
      });
      app.use((req, res) =>
        rpcError(
          res,
          404,
          'NOT_FOUND',
          `The requested URL ${req.method} ${req.path} was not found on this server.`,
        ),
      );
    },
  });

  return {
    ...kit,
    reset: () => {
      kit.reset();
      lists.clear();
      uploads.clear();
      campaignBudgets.clear();
      formatErrors = options.formatErrors ?? 'reject';
      processingPolls = options.processingPolls ?? 1;
      forcedFailure = false;
    },
    identifiers: (listId) => [...(lists.get(listId) ?? [])].sort(),
    campaignBudget: (customerId, budgetId) =>
      campaignBudgets.get(`customers/${customerId}/campaignBudgets/${budgetId}`),
    setFormatErrors: (mode) => {
      formatErrors = mode;
    },
    setProcessingPolls: (count) => {
      processingPolls = count;
    },
    setForcedFailure: (on) => {
      forcedFailure = on;
    },
  };
}

function finalStatus(upload: Upload, destination: Record<string, unknown>): Record<string, unknown> {
  const requestStatus =
    upload.failedRecords === 0
      ? 'SUCCESS'
      : upload.failedRecords === upload.records
        ? 'FAILED'
        : 'PARTIAL_SUCCESS';
  const counts = { recordCount: String(upload.records), userIdentifierCount: String(upload.identifierCount) };
  const reason =
    upload.failure === 'forced'
      ? 'PROCESSING_ERROR_REASON_INTERNAL_ERROR'
      : 'PROCESSING_ERROR_REASON_INVALID_FORMAT';
  return {
    destination,
    requestStatus,
    ...(upload.call === 'ingest'
      ? {
          audienceMembersIngestionStatus: {
            userDataIngestionStatus: { ...counts, uploadMatchRateRange: 'MATCH_RATE_RANGE_NOT_ELIGIBLE' },
          },
        }
      : { audienceMembersRemovalStatus: { userDataRemovalStatus: counts } }),
    ...(upload.failedRecords === 0
      ? {}
      : { errorInfo: { errorCounts: [{ reason, recordCount: String(upload.failedRecords) }] } }),
  };
}

function errorInfo(reason: string, domain = 'datamanager.googleapis.com'): Record<string, unknown> {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain };
}

/** 400 INVALID_ARGUMENT: nothing of the request was applied; `BadRequest` names each bad field. */
function refuse(res: Response, violations: Violation[]): void {
  const first = violations[0];
  rpcError(res, 400, 'INVALID_ARGUMENT', 'There was a problem with the request.', [
    errorInfo(first?.reason ?? 'INVALID_ARGUMENT'),
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: violations.map(({ field, description, reason }) => ({ field, description, reason })),
    },
  ]);
}

/** The google.rpc error body every Google REST API answers with. */
function rpcError(
  res: Response,
  code: number,
  status: string,
  message: string,
  details: object[] = [],
): void {
  res.status(code).json({ error: { code, message, status, ...(details.length > 0 ? { details } : {}) } });
}
