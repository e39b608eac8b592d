import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../helpers/relay-process.js';

/**
 * What the admin page tests need around the page: Debian's Chromium (never a downloaded browser),
 * a build of the page that is not older than its sources, and where screenshots go.
 */

/** `CHROMIUM_PATH`, else `chromium` or `chromium-browser` on the PATH (.ci/run installs it). */
export function chromiumPath(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const candidate = join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  // No sandbox: CI and containers run as root, where Chromium refuses to start with one.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

const PAGE_SOURCES = [join(REPO_ROOT, 'web'), join(REPO_ROOT, 'src', 'admin', 'api-schema.ts')];
const BUILT_INDEX = join(REPO_ROOT, 'dist', 'web', 'index.html');

/** Runs `vite build web` when dist/web is missing or older than a file of web/ (npm ci built it once). */
export function ensurePageBuilt(): void {
  if (existsSync(BUILT_INDEX) && newestChange(PAGE_SOURCES) <= statSync(BUILT_INDEX).mtimeMs) return;
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const result = spawnSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`vite build failed:\n${result.stdout}\n${result.stderr}`);
}

function newestChange(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    newest = Math.max(
      newest,
      stat.isDirectory() ? newestChange(readdirSync(path).map((name) => join(path, name))) : stat.mtimeMs,
    );
  }
  return newest;
}

/**
 * docs/screenshots with `UPDATE_SCREENSHOTS=true` (`npm run screenshots`); otherwise a directory of
 * the run, so a test run leaves the repository as it was.
 */
export function screenshotDir(runDir: string): string {
  const dir =
    process.env.UPDATE_SCREENSHOTS === 'true'
      ? join(REPO_ROOT, 'docs', 'screenshots')
      : join(runDir, 'shots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Errors the page logged (a failed script, a CSP violation): a test ends by expecting none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A refused request (the wrong token on purpose) is logged by Chromium too: its status is asserted instead.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
      errors.push(message.text());
  });
  return errors;
}
