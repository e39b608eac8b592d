import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { formatPath } from '../http/json-limits.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { FieldIssue, Intake, IntakeRequest, IntakeResult } from './intake.js';
import { MAX_REQUEST_BYTES } from './limits.js';
import { RejectionLog } from './reject-log.js';
import { BatchEnvelope } from './schemas.js';
import { writeKeyFromAuthorization, type SourceDirectory } from './sources.js';

const SINGLE_EVENT_METHODS = new Set(['track', 'identify', 'page', 'screen', 'group', 'alias']);

/**
 * analytics.js (analytics-next) posts each event to the first letter of its type, and batches to
 * `b`: https://github.com/segmentio/analytics-next/tree/master/packages/browser/src/plugins/segmentio
 */
const BROWSER_METHODS = new Map([
  ['t', 'track'],
  ['p', 'page'],
  ['i', 'identify'],
  ['s', 'screen'],
  ['g', 'group'],
  ['a', 'alias'],
  ['b', 'batch'],
]);

/** Request headers a browser may send cross-origin (analytics-next adds Authorization and X-Retry-Count). */
const CORS_ALLOWED_HEADERS = 'Content-Type, Authorization, Content-Encoding, X-Retry-Count';
const CORS_MAX_AGE_SECONDS = '86400';

type Route = 'v1' | 'webhooks_segment' | 'webhooks_rudderstack';

export interface IngestDeps {
  intake: Intake;
  sources: () => SourceDirectory;
  metrics: Metrics;
  logger: Logger;
}

interface Context extends IngestDeps {
  rejections: RejectionLog;
}

interface IntakeLocals {
  source?: string;
}

/** A refusal: status, a stable reason code, and the message naming the field (or limit). */
interface Refusal {
  status: number;
  reason: string;
  error: string;
  issues?: FieldIssue[];
  source?: string;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The intake endpoints (docs/intake.md): the Segment HTTP API, analytics.js, the CDPs' webhooks. */
export function ingestRouter(deps: IngestDeps): Router {
  const router = express.Router();
  const context: Context = { ...deps, rejections: new RejectionLog(deps.logger) };
  const readBody = express.raw({ type: () => true, limit: MAX_REQUEST_BYTES, inflate: true });
  const intakeRoute = (route: Route) => [
    ...(route === 'v1' ? [allowCrossOrigin(context), knownMethod(context)] : []),
    requireJson(route, context),
    authenticateByHeader(route, context),
    readBody,
    handleIntake(route, context),
    intakeErrors(route, context),
  ];
  router.options('/v1/:method', knownMethod(context), preflight(context));
  router.post('/v1/:method', ...intakeRoute('v1'));
  router.post('/webhooks/segment', ...intakeRoute('webhooks_segment'));
  router.post('/webhooks/rudderstack', ...intakeRoute('webhooks_rudderstack'));
  return router;
}

/** `/v1/<method>` names an endpoint, or the request is answered 404 before anything is read. */
function knownMethod(context: Context) {
  return (req: Request, res: Response, next: NextFunction) => {
    const method = String(req.params.method ?? '');
    if (SINGLE_EVENT_METHODS.has(method) || method === 'batch' || BROWSER_METHODS.has(method)) return next();
    refuse(res, 'v1', context, {
      status: 404,
      reason: 'unknown_path',
      error: `path: /v1/${method.slice(0, 40)} is not an endpoint`,
    });
  };
}

/**
 * Browsers: a request with an `Origin` no source allows is refused (403, no CORS headers). Otherwise
 * every reply carries CORS headers, so analytics.js reads the status (a 4xx it drops, a 5xx it
 * retries) instead of seeing a network error it would retry for hours. Whether this source allows
 * the origin is decided once the write key is known (handleIntake).
 */
function allowCrossOrigin(context: Context) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    if (!context.sources().anyAllowsOrigin(origin)) {
      return refuse(res, 'v1', context, {
        status: 403,
        reason: 'origin_not_allowed',
        error: `Origin: ${shorten(origin)} is not in any source's allowed_origins`,
      });
    }
    setCorsHeaders(res, origin);
    next();
  };
}

/** CORS preflight (`OPTIONS /v1/...`): it carries no credential, so any source's list may allow it. */
function preflight(context: Context) {
  return (req: Request, res: Response) => {
    const origin = req.headers.origin;
    res.setHeader('Allow', 'POST, OPTIONS');
    if (origin !== undefined) {
      if (!context.sources().anyAllowsOrigin(origin)) {
        return refuse(res, 'v1', context, {
          status: 403,
          reason: 'origin_not_allowed',
          error: `Origin: ${shorten(origin)} is not in any source's allowed_origins`,
        });
      }
      setCorsHeaders(res, origin);
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', CORS_MAX_AGE_SECONDS);
    }
    res.status(204).end();
  };
}

function setCorsHeaders(res: Response, origin: string): void {
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.append('Vary', 'Origin');
}

function requireJson(route: Route, context: Context) {
  return (req: Request, res: Response, next: NextFunction) => {
    // Bodies are always parsed as JSON. text/plain is what browser SDKs send to avoid CORS
    // preflights; RudderStack's node SDK labels its gzipped JSON application/x-www-form-urlencoded.
    if (
      req.is(['application/json', 'application/*+json', 'text/plain', 'application/x-www-form-urlencoded'])
    ) {
      return next();
    }
    // No Content-Type and no body: an empty request, answered as such once the (empty) body is read.
    if (req.headers['content-type'] === undefined && !hasBody(req)) return next();
    refuse(res, route, context, {
      status: 415,
      reason: 'unsupported_media_type',
      error: 'Content-Type: must be application/json',
    });
  };
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function authenticateByHeader(route: Route, context: Context) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    if (header === undefined) return next();
    const writeKey = writeKeyFromAuthorization(header);
    const source = writeKey === undefined ? undefined : context.sources().byWriteKey(writeKey);
    // An OAuth Bearer token is not ours to check: the body's writeKey then names the source.
    if (source === undefined && /^bearer\s/i.test(header)) return next();
    if (source === undefined) {
      return refuse(res, route, context, {
        status: 401,
        reason: 'unauthorized',
        error: 'Authorization: unknown write key (send it as the Basic auth user name)',
      });
    }
    (res.locals as IntakeLocals).source = source;
    next();
  };
}

function handleIntake(route: Route, context: Context) {
  return async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const headerSource = (res.locals as IntakeLocals).source;
    const parsed = parseBody(raw);
    if ('status' in parsed) {
      return refuse(res, route, context, headerSource ? { ...parsed, source: headerSource } : parsed);
    }
    const { body } = parsed;
    const credential = headerSource
      ? { source: headerSource }
      : sourceFromBody(req, raw, body, route, context);
    if ('status' in credential) return refuse(res, route, context, credential);
    const { source } = credential;
    const origin = req.headers.origin;
    if (origin !== undefined && !context.sources().allowsOrigin(source, origin)) {
      return refuse(res, route, context, {
        status: 403,
        reason: 'origin_not_allowed',
        error: `Origin: ${shorten(origin)} is not in sources.${source}.allowed_origins`,
        source,
      });
    }
    const shaped = shapeRequest(route, String(req.params.method ?? ''), body);
    if ('status' in shaped) return refuse(res, route, context, { ...shaped, source });
    const result = await context.intake.accept({ ...shaped, source, bodyBytes: raw.length });
    sendResult(res, route, context, source, result);
  };
}

/** The body as JSON: empty, not UTF-8 and not JSON are each named. */
function parseBody(raw: Buffer): { body: unknown } | Refusal {
  if (raw.length === 0) {
    return {
      status: 400,
      reason: 'empty_body',
      error: 'body: is empty (send one event, or a batch, as JSON)',
    };
  }
  let text: string;
  try {
    text = UTF8.decode(raw);
  } catch {
    return { status: 400, reason: 'invalid_utf8', error: 'body: is not valid UTF-8' };
  }
  try {
    return { body: JSON.parse(text) as unknown };
  } catch {
    return { status: 400, reason: 'invalid_json', error: 'body: is not valid JSON' };
  }
}

/** Without a header credential: the body's writeKey, or (Segment webhook, one event) X-Signature. */
function sourceFromBody(
  req: Request,
  raw: Buffer,
  body: unknown,
  route: Route,
  context: Context,
): { source: string } | Refusal {
  const directory = context.sources();
  const writeKey = isObject(body) && typeof body.writeKey === 'string' ? body.writeKey : undefined;
  if (writeKey !== undefined) {
    const source = directory.byWriteKey(writeKey);
    if (source !== undefined) return { source };
    return { status: 401, reason: 'unauthorized', error: 'writeKey: unknown write key' };
  }
  const signature = req.headers['x-signature'];
  if (route === 'webhooks_segment' && typeof signature === 'string') {
    // Segment's batching webhook signs only the first event of an array: the rest would be unsigned.
    if (Array.isArray(body)) {
      return {
        status: 401,
        reason: 'unauthorized',
        error:
          'Authorization: an array of events needs the write key (Basic auth user name); X-Signature covers only its first event',
      };
    }
    const source = directory.bySignature(signature, raw);
    if (source !== undefined) return { source };
    return { status: 401, reason: 'unauthorized', error: 'X-Signature: does not match the body' };
  }
  const signatureHint = route === 'webhooks_segment' ? ', or a valid X-Signature' : '';
  return {
    status: 401,
    reason: 'unauthorized',
    error: `Authorization: a source write key is required (Basic auth user name, or writeKey in the body${signatureHint})`,
  };
}

type Shaped = Omit<IntakeRequest, 'source' | 'bodyBytes'> | Refusal;

function shapeRequest(route: Route, method: string, body: unknown): Shaped {
  const endpoint = route === 'v1' ? (BROWSER_METHODS.get(method) ?? method) : undefined;
  if (endpoint !== undefined && endpoint !== 'batch') {
    if (!isObject(body)) {
      return { status: 400, reason: 'invalid_event', error: 'body: must be a JSON object (one event)' };
    }
    return { items: [body], itemPath: () => '', forcedType: endpoint };
  }
  if (Array.isArray(body) && route !== 'v1') {
    return { items: body, itemPath: (i) => `[${i}]`, listPath: 'body' };
  }
  if (isObject(body) && 'batch' in body) {
    const envelope = BatchEnvelope.safeParse(body);
    if (!envelope.success) {
      const issues = envelope.error.issues.map((issue) => ({
        path: formatPath('', issue.path),
        message: issue.message,
      }));
      return { status: 400, reason: 'invalid_event', error: describeIssues(issues), issues };
    }
    const { batch, context, integrations, sentAt } = envelope.data;
    return {
      items: batch,
      itemPath: (i) => `batch[${i}]`,
      listPath: 'batch',
      shared: { context, integrations, sentAt },
    };
  }
  if (route === 'v1')
    return { status: 400, reason: 'invalid_event', error: 'batch: must be an array of events' };
  if (!isObject(body)) {
    return {
      status: 400,
      reason: 'invalid_event',
      error: 'body: must be an event object or an array of events',
    };
  }
  return { items: [body], itemPath: () => '' };
}

function sendResult(res: Response, route: Route, context: Context, source: string, result: IntakeResult) {
  switch (result.kind) {
    case 'accepted':
      context.metrics.intakeRequestsTotal.inc({ route, status: '200' });
      res.status(200).json({ success: true });
      return;
    case 'invalid':
    case 'too_large':
      return refuse(res, route, context, {
        status: result.kind === 'invalid' ? 400 : 413,
        reason: result.reason,
        error: describeIssues(result.issues),
        issues: result.issues,
        source,
      });
    case 'unavailable':
      res.setHeader('Retry-After', '5');
      context.rejections.record(
        { route, status: 503, reason: 'store_unavailable', source },
        'store unavailable; answering 503',
      );
      context.metrics.intakeRequestsTotal.inc({ route, status: '503' });
      res.status(503).json({ success: false, error: 'store: temporarily unavailable, retry later' });
      return;
  }
}

function describeIssues(issues: FieldIssue[]): string {
  const shown = issues.slice(0, 20).map((issue) => `${issue.path}: ${issue.message}`);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return shown.join('; ') + more;
}

/**
 * Answers a refused request in the intake's shape, counts it, and leaves a rate-limited log line
 * with the reason and the field's path (never the body, a value or a credential).
 */
function refuse(res: Response, route: Route, context: Context, refusal: Refusal): void {
  const { status, reason, error, issues, source } = refusal;
  context.metrics.intakeRequestsTotal.inc({ route, status: String(status) });
  context.metrics.intakeRejectionsTotal.inc({ route, reason });
  const field = issues?.[0]?.path ?? error.slice(0, Math.max(0, error.indexOf(':')));
  context.rejections.record({ route, status, reason, field, ...(source ? { source } : {}) });
  res.status(status).json(issues ? { success: false, error, issues } : { success: false, error });
}

/** Body-reading failures (too large, bad encoding, corrupt gzip) and bugs, answered in the intake's shape. */
function intakeErrors(route: Route, context: Context) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const type = (error as { type?: unknown }).type;
    const status = (error as { status?: unknown }).status;
    if (type === 'entity.too.large') {
      return refuse(res, route, context, {
        status: 413,
        reason: 'limit_request_bytes',
        error: `body: at most ${MAX_REQUEST_BYTES} bytes (500 KB) per request, after decompression`,
      });
    }
    if (type === 'encoding.unsupported') {
      return refuse(res, route, context, {
        status: 415,
        reason: 'unsupported_encoding',
        error: 'Content-Encoding: only gzip, deflate, br or identity are accepted',
      });
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return refuse(res, route, context, {
        status,
        reason: 'unreadable_body',
        error: 'body: could not be read (corrupt or truncated encoding)',
      });
    }
    context.logger.error({ route, err: error }, 'intake failed unexpectedly');
    context.metrics.intakeRequestsTotal.inc({ route, status: '500' });
    res.status(500).json({ success: false, error: 'internal error; the event was not stored' });
  };
}

function shorten(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
