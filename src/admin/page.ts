import express, { type Response, type Router } from 'express';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The page runs its own scripts only and talks to this origin only; it is never framed. A form
 * cannot post anywhere (the login form is handled by the page and never navigates).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

/**
 * `/admin`: the built admin page (`npm run build` writes it to dist/web). It holds no data and no
 * secret: everything it shows comes from `/admin/api` with the token the operator types in.
 */
export function adminPage(dir: string = builtPageDir()): Router {
  const router = express.Router();
  const index = join(dir, 'index.html');
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  router.get('/', (req, res) => {
    // Relative asset paths need the trailing slash; a relative redirect keeps any proxy prefix.
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) return res.redirect(308, 'admin/');
    sendIndex(res, index);
  });
  // Built file names carry a content hash: they never change.
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false }),
  );
  router.use(express.static(dir, { index: false, maxAge: 0 }));
  return router;
}

function sendIndex(res: Response, index: string): void {
  if (!existsSync(index)) {
    res
      .status(503)
      .type('text/plain')
      .send('The admin page is not built: run `npm run build` (npm ci builds it too).\n');
    return;
  }
  res.setHeader('Cache-Control', 'no-cache');
  res.sendFile(index);
}

/** dist/web under the package root (the nearest folder with a package.json), from src/ or dist/src/. */
export function builtPageDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    if (dirname(dir) === dir) return join(from, 'web');
  }
}
