import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A server under test, running as its own Node process (the load generator stays in this one). */
export interface ServerProcess {
  pid: number;
  url: string;
  /** SIGTERM, then wait for a graceful exit (SIGKILL after `timeoutMs`); resolves the exit code. */
  stop: (timeoutMs?: number) => Promise<number | null>;
}

export interface ServerSpec {
  /** TypeScript entry point, run as `node --import tsx <entry>`. */
  entry: string;
  env: Record<string, string>;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** Path polled until it answers `readyStatus`. */
  readyPath: string;
  readyStatus?: number;
  cwd: string;
}

const STARTUP_TIMEOUT_MS = 30_000;
const OUTPUT_TAIL_CHARS = 4000;

/** A TCP port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), '--import', 'tsx', spec.entry], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const exited = exitOf(child);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(`${url}${spec.readyPath}`, spec.readyStatus, exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${spec.entry} did not start: ${(error as Error).message}\n${output()}`, {
      cause: error,
    });
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.entry}: no pid`);
  return { pid, url, stop: (timeoutMs = 20_000) => stopChild(child, exited, timeoutMs) };
}

function collectOutput(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitUntilReady(url: string, status: number | undefined, exited: Promise<number | null>) {
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (done) throw new Error('the process exited during startup');
    const answered = await fetch(url).then(
      (response) => status === undefined || response.status === status,
      () => false,
    );
    if (answered) return;
    await sleep(100);
  }
  throw new Error(`no answer from ${url} within ${STARTUP_TIMEOUT_MS} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, timeoutMs: number) {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
