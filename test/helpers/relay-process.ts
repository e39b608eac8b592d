import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { keepDestinations } from './example-destinations.js';
import { logLineRecorder, logRecordFile } from './fake-recording.js';

/** The repository root, derived from this file's location (test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MAPPINGS_DIR = join(REPO_ROOT, 'mappings');
const MAX_KEPT_STDOUT = 1_000_000;

/** The fallback write keys of mappings/sources.yaml (used when SEGMENT_/RUDDERSTACK_WRITE_KEY are unset). */
export const WRITE_KEYS = { web: 'dev-web-write-key', server: 'dev-server-write-key' } as const;
export type SourceName = keyof typeof WRITE_KEYS;

/** `Authorization` value an SDK sends: Basic base64("<writeKey>:"). */
export function basicAuth(writeKey: string): string {
  return `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
}

/** A port that was free a moment ago: bind port 0, read the port, release it. */
export async function pickFreePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** What `GET /admin/api/events/:messageId` answers for a stored event. */
export interface AdminEvent {
  source: string;
  messageId: string;
  type: string;
  others: number;
  body: Record<string, unknown>;
}

/** Asks the admin API whether an event arrived; `event` is set on 200 only. */
export async function fetchStoredEvent(
  baseUrl: string,
  adminToken: string,
  messageId: string,
  source?: string,
): Promise<{ status: number; event?: AdminEvent }> {
  const query = source === undefined ? '' : `?source=${encodeURIComponent(source)}`;
  const response = await fetch(`${baseUrl}/admin/api/events/${encodeURIComponent(messageId)}${query}`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  const body = (await response.json()) as unknown;
  return response.status === 200 ? { status: 200, event: body as AdminEvent } : { status: response.status };
}

export interface RelayProcess {
  url: string;
  port: number;
  /** SIGKILL: no shutdown hook runs. Resolves once the process is gone. */
  kill: () => Promise<void>;
  /** SIGTERM (graceful shutdown); resolves with the exit code once the process is gone. */
  stop: () => Promise<number | null>;
  /** Sends a signal without waiting (e.g. SIGHUP to reload the mapping files). */
  signal: (signal: NodeJS.Signals) => void;
  /** What the process wrote to stderr so far (for failure messages). */
  stderr: () => string;
  /** What the process wrote to stdout so far (its start-up block; log lines when it logs). */
  stdout: () => string;
  /** The mapping files it reads: the repository's, or the private copy under `root`. */
  mappingsDir: string;
}

export interface RelayProcessOptions {
  storeUrl: string;
  adminToken?: string;
  startTimeoutMs?: number;
  /** Extra environment for the relay (e.g. PROCESSING_BATCH_SIZE). */
  env?: Record<string, string>;
  /**
   * A fresh directory for a private copy of the repository's mappings and models (`root/mappings`,
   * `root/models`), so a test can add, change or break mapping files. Unset: the repository's own.
   */
  root?: string;
  /** With `root`: files written into the copy before the start (name -> YAML; replaces a copied one). */
  mappingFiles?: Record<string, string>;
  /** With `root`: keep only these of the example destinations (applied after `mappingFiles`). */
  destinations?: readonly string[];
}

/** Copies the repository's mappings and models under `root`; returns the mappings directory. */
export function copyMappings(
  root: string,
  mappingFiles: Record<string, string> = {},
  destinations?: readonly string[],
): string {
  const mappingsDir = join(root, 'mappings');
  cpSync(MAPPINGS_DIR, mappingsDir, { recursive: true });
  cpSync(join(REPO_ROOT, 'models'), join(root, 'models'), { recursive: true });
  for (const [name, yaml] of Object.entries(mappingFiles)) writeFileSync(join(mappingsDir, name), yaml);
  if (destinations) keepDestinations(mappingsDir, destinations);
  return mappingsDir;
}

/**
 * Runs `node --import tsx src/main.ts` from the repository root on a free port and waits for
 * `/healthz`. The environment is built from scratch so write keys are the mapping fallbacks.
 */
export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const mappingsDir =
    options.root === undefined
      ? MAPPINGS_DIR
      : copyMappings(options.root, options.mappingFiles, options.destinations);
  let lastError: unknown;
  // The port can be taken between picking and binding; a fresh one is tried then.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await pickFreePort();
    try {
      return await spawnOnPort(port, mappingsDir, options);
    } catch (error) {
      lastError = error;
      if (!String(error).includes('EADDRINUSE')) break;
    }
  }
  throw lastError;
}

async function spawnOnPort(
  port: number,
  mappingsDir: string,
  options: RelayProcessOptions,
): Promise<RelayProcess> {
  // While the suite records logs (test/global-setup.ts), the relay logs everything, into the record.
  const recordFile = logRecordFile();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    STORE_URL: options.storeUrl,
    MAPPINGS_DIR: mappingsDir,
    LOG_LEVEL: recordFile ? 'debug' : 'silent',
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  if (options.adminToken) env.ADMIN_TOKEN = options.adminToken;
  Object.assign(env, options.env);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // Kept up to a bound: a long run that logs at debug level must not grow the test's memory.
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stdout.length < MAX_KEPT_STDOUT) stdout += chunk;
  });
  if (recordFile) {
    for (const stream of [child.stdout, child.stderr]) {
      const recorder = logLineRecorder(recordFile);
      stream?.setEncoding('utf8').on('data', recorder.write).on('end', recorder.flush);
    }
  }
  const exited = once(child, 'close').then(() => undefined);
  const url = `http://127.0.0.1:${port}`;
  const signalAndWait = async (signal: NodeJS.Signals) => {
    if (isRunning(child)) child.kill(signal);
    await exited;
  };
  try {
    await waitForHealthy(url, child, options.startTimeoutMs ?? 15_000);
  } catch (error) {
    await signalAndWait('SIGKILL');
    throw new Error(`${(error as Error).message}; stderr: ${stderr.trim() || '(empty)'}`, { cause: error });
  }
  return {
    url,
    port,
    kill: () => signalAndWait('SIGKILL'),
    signal: (signal) => {
      if (isRunning(child)) child.kill(signal);
    },
    stop: async () => {
      await signalAndWait('SIGTERM');
      return child.exitCode;
    },
    stderr: () => stderr,
    stdout: () => stdout,
    mappingsDir: env.MAPPINGS_DIR ?? mappingsDir,
  };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function waitForHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isRunning(child)) throw new Error(`relay exited during start-up (code ${child.exitCode})`);
    try {
      const response = await fetch(`${url}/healthz`);
      await response.text();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await delay(50);
  }
  throw new Error(`relay at ${url} not healthy within ${timeoutMs} ms`);
}
