/**
 * The benchmark's ceiling: a bare Express 5 server that parses the JSON body and answers, nothing
 * else. Run as its own process like the relay (`node --import tsx bench/baseline-server.ts`).
 */
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.post('/v1/:method', express.json({ limit: '500kb' }), (_req, res) => {
  res.status(200).json({ success: true });
});

const server = app.listen(
  Number(process.env.PORT ?? 8090),
  process.env.HOST ?? '127.0.0.1',
  (error?: Error) => {
    if (error) {
      process.stderr.write(`baseline server failed to start: ${error.message}\n`);
      process.exit(1);
    }
  },
);
// Same keep-alive settings as the relay, so connection handling is not a difference.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
