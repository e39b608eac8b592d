import express from 'express';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { adminPage, builtPageDir } from '../../src/admin/page.js';
import { REPO_ROOT } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

/** `/admin` as src/http/app.ts mounts it: after `/admin/api`, before the JSON 404. */
function app(dir: string) {
  const server = express();
  server.use('/admin/api', (_req, _res, next) => next());
  server.use('/admin', adminPage(dir));
  server.use((_req, res) => {
    res.status(404).json({ error: 'path: not found' });
  });
  return server;
}

const root = makeTempDir('relay-page-serving-');
const built = join(root, 'web');
mkdirSync(join(built, 'assets'), { recursive: true });
writeFileSync(join(built, 'index.html'), '<!doctype html><title>admin</title>');
writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log(1)');

afterAll(() => removeTempDir(root));

describe('the admin page at /admin', () => {
  it('redirects /admin to /admin/ relatively, so a proxy prefix is kept', async () => {
    const response = await request(app(built)).get('/admin');
    expect(response.status).toBe(308);
    expect(response.headers.location).toBe('admin/');
  });

  it('serves the page with a strict content security policy and never caches it stale', async () => {
    const response = await request(app(built)).get('/admin/');
    expect(response.status).toBe(200);
    expect(response.text).toContain('<title>admin</title>');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['content-security-policy']).toContain("form-action 'none'");
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });

  it('serves hashed assets as immutable', async () => {
    const response = await request(app(built)).get('/admin/assets/index-abc123.js');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toContain('immutable');
  });

  it('leaves unknown admin API paths and missing files to the JSON 404', async () => {
    for (const path of ['/admin/api/nope', '/admin/assets/missing.js']) {
      const response = await request(app(built)).get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: 'path: not found' });
    }
  });

  it('says how to build the page when it is not built', async () => {
    const response = await request(app(join(root, 'not-built'))).get('/admin/');
    expect(response.status).toBe(503);
    expect(response.text).toContain('npm run build');
  });

  it('finds dist/web under the package root from src/ and from dist/src/', () => {
    const expected = join(REPO_ROOT, 'dist', 'web');
    expect(builtPageDir(join(REPO_ROOT, 'src', 'admin'))).toBe(expected);
    expect(builtPageDir(join(REPO_ROOT, 'dist', 'src', 'admin'))).toBe(expected);
  });
});
