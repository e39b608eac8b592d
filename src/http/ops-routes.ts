import express, { type Router } from 'express';
import type { Metrics } from '../lib/metrics.js';
import type { EventStore } from '../store/port.js';

export interface OpsDeps {
  store: EventStore;
  metrics: Metrics;
  /** Prometheus text of every metric (this thread's and the background thread's). */
  metricsText: () => Promise<string>;
  isShuttingDown: () => boolean;
}

/** Liveness, readiness and Prometheus metrics. */
export function opsRouter(deps: OpsDeps): Router {
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (deps.isShuttingDown()) return res.status(503).json({ status: 'shutting down' });
    try {
      await deps.store.checkWritable();
      res.json({ status: 'ready', store: deps.store.backend });
    } catch (error) {
      res
        .status(503)
        .json({ status: 'not ready', store: deps.store.backend, reason: (error as Error).message });
    }
  });
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metricsText());
  });
  return router;
}
