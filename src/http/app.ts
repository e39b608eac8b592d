import express, { type Express } from 'express';
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
  app.use((_req, res) => {
    res.status(404).json({ error: 'path: not found' });
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    deps.logger.error({ err: error }, 'request failed unexpectedly');
    if (!res.headersSent) res.status(500).json({ error: 'internal error' });
  });
  return app;
}
