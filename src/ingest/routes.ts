import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import {
  MAX_REQUEST_BYTES,
  type FieldIssue,
  type Intake,
  type IntakeRequest,
  type IntakeResult,
} from './intake.js';
import { BatchEnvelope } from './schemas.js';
import { writeKeyFromAuthorization, type SourceDirectory } from './sources.js';

const SINGLE_EVENT_METHODS = new Set(['track', 'identify', 'page', 'screen', 'group', 'alias']);

type Route = 'v1' | 'webhooks_segment' | 'webhooks_rudderstack';

export interface IngestDeps {
  intake: Intake;
  sources: () => SourceDirectory;
  metrics: Metrics;
  logger: Logger;
}

interface IntakeLocals {
  source?: string;
}

/** The intake endpoints of DESIGN.md section 7: Segment HTTP API and the CDPs' webhook destinations. */
export function ingestRouter(deps: IngestDeps): Router {
  const router = express.Router();
  const readBody = express.raw({ type: () => true, limit: MAX_REQUEST_BYTES, inflate: true });
  const intakeRoute = (route: Route) => [
    requireJson(route, deps),
    authenticateByHeader(route, deps),
    readBody,
    handleIntake(route, deps),
    intakeErrors(route, deps),
  ];
  router.post('/v1/:method', ...intakeRoute('v1'));
  router.post('/webhooks/segment', ...intakeRoute('webhooks_segment'));
  router.post('/webhooks/rudderstack', ...intakeRoute('webhooks_rudderstack'));
  return router;
}

function requireJson(route: Route, deps: IngestDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    // Bodies are always parsed as JSON. text/plain is what browser SDKs send to avoid CORS
    // preflights; RudderStack's node SDK labels its gzipped JSON application/x-www-form-urlencoded.
    if (
      req.is(['application/json', 'application/*+json', 'text/plain', 'application/x-www-form-urlencoded'])
    ) {
      return next();
    }
    reply(res, route, deps, 415, 'Content-Type: must be application/json');
  };
}

function authenticateByHeader(route: Route, deps: IngestDeps) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const writeKey = writeKeyFromAuthorization(header);
    const source = writeKey === undefined ? undefined : deps.sources().byWriteKey(writeKey);
    // An OAuth Bearer token is not ours to check: the body's writeKey then names the source.
    if (source === undefined && /^bearer\s/i.test(header)) return next();
    if (source === undefined) {
      return reply(
        res,
        route,
        deps,
        401,
        'Authorization: unknown write key (send it as the Basic auth user name)',
      );
    }
    (res.locals as IntakeLocals).source = source;
    next();
  };
}

function handleIntake(route: Route, deps: IngestDeps) {
  return async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return reply(res, route, deps, 400, 'body: is not valid JSON');
    }
    const source = (res.locals as IntakeLocals).source ?? sourceFromBody(req, raw, body, route, deps);
    if (source === undefined) {
      return reply(res, route, deps, 401, missingCredentialMessage(route));
    }
    const shaped = shapeRequest(route, String(req.params.method ?? ''), body);
    if ('status' in shaped) return reply(res, route, deps, shaped.status, shaped.message);
    const result = await deps.intake.accept({ ...shaped, source, bodyBytes: raw.length });
    sendResult(res, route, deps, result);
  };
}

function sourceFromBody(req: Request, raw: Buffer, body: unknown, route: Route, deps: IngestDeps) {
  const directory = deps.sources();
  const writeKey = isObject(body) && typeof body.writeKey === 'string' ? body.writeKey : undefined;
  if (writeKey !== undefined) return directory.byWriteKey(writeKey);
  const signature = req.headers['x-signature'];
  if (route === 'webhooks_segment' && typeof signature === 'string') {
    return directory.bySignature(signature, raw, body);
  }
  return undefined;
}

function missingCredentialMessage(route: Route): string {
  const signature = route === 'webhooks_segment' ? ', or a valid X-Signature' : '';
  return `Authorization: a source write key is required (Basic auth user name, or writeKey in the body${signature})`;
}

type Shaped = Omit<IntakeRequest, 'source' | 'bodyBytes'> | { status: number; message: string };

function shapeRequest(route: Route, method: string, body: unknown): Shaped {
  if (route === 'v1' && method !== 'batch') {
    if (!SINGLE_EVENT_METHODS.has(method))
      return { status: 404, message: `path: /v1/${method} is not an endpoint` };
    if (!isObject(body)) return { status: 400, message: 'body: must be a JSON object (one event)' };
    return { items: [body], itemPath: () => '', forcedType: method };
  }
  if (Array.isArray(body) && route !== 'v1') return { items: body, itemPath: (i) => `[${i}]` };
  if (isObject(body) && 'batch' in body) {
    const envelope = BatchEnvelope.safeParse(body);
    if (!envelope.success) {
      const issue = envelope.error.issues[0];
      return {
        status: 400,
        message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid batch'}`,
      };
    }
    const { batch, context, integrations, sentAt } = envelope.data;
    return { items: batch, itemPath: (i) => `batch[${i}]`, shared: { context, integrations, sentAt } };
  }
  if (route === 'v1') return { status: 400, message: 'batch: must be an array of events' };
  if (!isObject(body)) return { status: 400, message: 'body: must be an event object or an array of events' };
  return { items: [body], itemPath: () => '' };
}

function sendResult(res: Response, route: Route, deps: IngestDeps, result: IntakeResult): void {
  switch (result.kind) {
    case 'accepted':
      deps.metrics.intakeRequestsTotal.inc({ route, status: '200' });
      res.status(200).json({ success: true });
      return;
    case 'invalid':
      return reply(res, route, deps, 400, describeIssues(result.issues), result.issues);
    case 'too_large':
      return reply(res, route, deps, 413, describeIssues(result.issues), result.issues);
    case 'unavailable':
      res.setHeader('Retry-After', '5');
      deps.logger.warn({ route, reason: result.message }, 'store unavailable; answering 503');
      return reply(res, route, deps, 503, 'store: temporarily unavailable, retry later');
  }
}

function describeIssues(issues: FieldIssue[]): string {
  const shown = issues.slice(0, 20).map((issue) => `${issue.path}: ${issue.message}`);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return shown.join('; ') + more;
}

function reply(
  res: Response,
  route: Route,
  deps: IngestDeps,
  status: number,
  error: string,
  issues?: FieldIssue[],
) {
  deps.metrics.intakeRequestsTotal.inc({ route, status: String(status) });
  if (status >= 400 && status !== 503) deps.logger.debug({ route, status, error }, 'intake request rejected');
  res.status(status).json(issues ? { success: false, error, issues } : { success: false, error });
}

/** Body-reading failures (too large, bad encoding, corrupt gzip) and bugs, answered in the intake's shape. */
function intakeErrors(route: Route, deps: IngestDeps) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: unknown }).type;
    const status = (error as { status?: unknown }).status;
    if (type === 'entity.too.large') {
      return reply(res, route, deps, 413, `body: at most ${MAX_REQUEST_BYTES} bytes (500 KB) per request`);
    }
    if (type === 'encoding.unsupported') {
      return reply(
        res,
        route,
        deps,
        415,
        'Content-Encoding: only gzip, deflate, br or identity are accepted',
      );
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return reply(res, route, deps, status, 'body: could not be read (corrupt or truncated encoding)');
    }
    deps.logger.error({ route, err: error }, 'intake failed unexpectedly');
    reply(res, route, deps, 500, 'internal error; the event was not stored');
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
