import express, { type Express } from 'express';
import { adminPage } from '../admin/page.js';
import { adminRouter, type AdminDeps } from '../admin/routes.js';
import { ingestRouter, type IngestDeps } from '../ingest/routes.js';
import { opsRouter, type OpsDeps } from './ops-routes.js';

export type AppDeps = IngestDeps & AdminDeps & OpsDeps;

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(opsRouter(deps));
  app.use(ingestRouter(deps));
  app.use('/admin/api', adminRouter(deps));
  app.use('/admin', adminPage());
  app.use((_req, res) => {
    res.status(404).json({ error: 'path: not found' });
  });
  app.use((error: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (res.headersSent) return;
    const refused = clientError(error);
    if (refused) {
      const intake = /^\/(v1|webhooks)\//.test(req.path);
      res
        .status(refused.status)
        .json(intake ? { success: false, error: refused.error } : { error: refused.error });
      return;
    }
    deps.logger.error({ err: error }, 'request failed unexpectedly');
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

/**
 * Errors a request causes before a route sees it (a malformed path, a JSON body over the limit or
 * not JSON), as the 4xx that names the problem. Anything else is a bug: undefined, answered 500.
 */
export function clientError(error: unknown): { status: number; error: string } | undefined {
  if (error instanceof URIError) {
    return { status: 400, error: 'path: is not valid percent-encoding (URI)' };
  }
  if (error === null || typeof error !== 'object') return undefined;
  const { status, type, limit } = error as { status?: unknown; type?: unknown; limit?: unknown };
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  switch (type) {
    case 'entity.too.large': {
      const bytes = typeof limit === 'number' ? limit : undefined;
      const size = bytes === undefined ? '' : ` at most ${bytes} bytes (${Math.round(bytes / 1024)} KB)`;
      return { status: 413, error: `body: too large;${size}` };
    }
    case 'entity.parse.failed':
      return { status: 400, error: 'body: is not valid JSON' };
    case 'entity.verify.failed':
      return { status: 400, error: 'body: could not be verified' };
    case 'encoding.unsupported':
      return { status: 415, error: 'Content-Encoding: only gzip, deflate, br or identity are accepted' };
    case 'charset.unsupported':
      return { status: 415, error: 'Content-Type: charset must be utf-8' };
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, error: 'body: incomplete (the request ended before its Content-Length)' };
    default:
      return { status, error: 'request: could not be read' };
  }
}
