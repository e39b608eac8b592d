import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RELAY_URL } from '../../src/cli/admin-client.js';
import { recordingEnv } from '../helpers/fake-recording.js';
import { REPO_ROOT, startRelayProcess, type RelayProcess } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { codeBlocks } from './markdown.js';
import { shellCommands, type ShellCommand } from './shell.js';

/**
 * The commands of README.md's "Quick start" and walk-through sections, read from the README as it
 * is now and run in its order against a real relay process and the fake Braze and HubSpot servers:
 *
 * - `[NAME=value ...] npm start`: (re)starts the relay as `npm start` runs it (from the sources),
 *   with those variables, on a free port and a fresh store (kept across restarts);
 * - `npx audience-relay fakes`: the package's `bin`, as npx runs it, on free ports (the relay is
 *   pointed at them, as the fakes' banner says to); stopped with Ctrl-C (SIGINT) at the end, exit 0;
 * - `npx audience-relay <command>`, `node ...`, `curl ...`: run to completion, exit 0, curl answered
 *   2xx (and the answer the README shows in a comment under it, if any);
 * - `export NAME=value`: the environment of the commands after it;
 * - `npm ci`, `npm test`: not run (done already; this is the test run).
 *
 * `http://localhost:8080` is replaced with the relay's URL, and `RELAY_URL` set for the CLI. After the
 * `node` snippet (the events) the fakes must have printed a Braze request with `segment_high_intent`
 * and a HubSpot upsert, as the README says, before the commands that look at the result run.
 */

const SECTIONS = [/^quick start$/i, /walk-through/i];
const SHELL = ['', 'sh', 'bash', 'shell'];
const COMMAND_TIMEOUT_MS = 20_000;
const WAIT_MS = 15_000;
/** The ad platforms flush every 10 s. */
const AD_WAIT_MS = 30_000;
const README_URL = new RegExp(DEFAULT_RELAY_URL.replace(/[.:/]/g, '\\$&'), 'g');
/** What `npx audience-relay` runs: the package's `bin`. */
const BIN = binOf('audience-relay');

function binOf(name: string): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    bin?: Record<string, string>;
  };
  const path = pkg.bin?.[name];
  if (path === undefined) throw new Error(`package.json has no bin "${name}"`);
  return path;
}

interface Step {
  name: string;
  command: ShellCommand;
}

const STEPS: Step[] = codeBlocks('README.md')
  .filter((block) => SECTIONS.some((section) => section.test(block.section)) && SHELL.includes(block.lang))
  .flatMap((block) => shellCommands(block.text, block.line + 1))
  .map((command) => ({ name: `README.md:${command.line}: ${shortened(command.words)}`, command }));

function shortened(words: string[]): string {
  const text = words.map((word) => (/[\s'"]/.test(word) ? JSON.stringify(word) : word)).join(' ');
  return text.length > 90 ? `${text.slice(0, 87)}...` : text;
}

const root = makeTempDir('relay-readme-');
const shellEnv: Record<string, string> = {};
let relay: RelayProcess | undefined;
/** `endpoints`: the variables the fakes' banner says to start the relay with. */
let fakes: { child: ChildProcess; output: () => string; endpoints: Record<string, string> } | undefined;

afterAll(async () => {
  await relay?.stop();
  if (fakes && fakes.child.exitCode === null && fakes.child.signalCode === null) {
    fakes.child.kill('SIGKILL');
    await once(fakes.child, 'close');
  }
  removeTempDir(root);
});

function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}) };
}

function withRelayUrl(word: string): string {
  if (!relay) throw new Error('the README runs this before the relay is started');
  return word.replace(README_URL, relay.url);
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function run(executable: string, args: string[], env: Record<string, string>): Promise<Ran> {
  const child = spawn(executable, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  try {
    const [code] = (await once(child, 'close')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

function assignments(words: string[]): { env: Record<string, string>; rest: string[] } {
  const env: Record<string, string> = {};
  let index = 0;
  for (; index < words.length; index++) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(words[index] ?? '');
    if (!match) break;
    env[match[1] ?? ''] = match[2] ?? '';
  }
  return { env, rest: words.slice(index) };
}

async function startRelay(env: Record<string, string>): Promise<void> {
  await relay?.stop();
  const destinations: Record<string, string> = fakes?.endpoints ?? {};
  relay = await startRelayProcess({
    storeUrl: `sqlite:${join(root, 'relay.db')}`,
    env: { ...destinations, ...env },
    startTimeoutMs: 30_000,
  });
}

async function startFakes(args: string[]): Promise<void> {
  const child = spawn(process.execPath, [BIN, ...args, '--ports-from', '0'], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...recordingEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  fakes = { child, output: () => output, endpoints: {} };
  const deadline = Date.now() + WAIT_MS;
  while (!output.includes('Ctrl-C stops')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the fakes did not start: ${output}`);
    await delay(50);
  }
  // `  DESTINATIONS_ENABLED=true BRAZE_REST_ENDPOINT=http://127.0.0.1:<port> ... npm start`
  const start = /^\s*(DESTINATIONS_ENABLED=true .*)npm start$/m.exec(output)?.[1] ?? '';
  const { DESTINATIONS_ENABLED: _enabled, ...endpoints } = assignments(start.trim().split(/\s+/)).env;
  fakes.endpoints = endpoints;
}

/** The README: "the fakes print a Braze /users/track request with segment_high_intent ... and a HubSpot upsert". */
async function fakesPrintedTheDeliveries(at: string): Promise<void> {
  const braze = /^\S+\s+braze\s+2\d\d\s+POST \/users\/track\s.*segment_high_intent/m;
  const hubspot = /^\S+\s+hubspot\s+2\d\d\s+POST \/crm\/objects\/[\w-]+\/contacts\/batch\/upsert\s/m;
  // The ad platforms' batches wait up to 10 s for more people.
  const meta =
    /^\S+\s+meta_custom_audience\s+2\d\d\s+POST \S+\s+add 1 row to \d+ \(EMAIL, PHONE, EXTERN_ID\)/m;
  const deadline = Date.now() + WAIT_MS;
  const output = () => fakes?.output() ?? '';
  while (!(braze.test(output()) && hubspot.test(output())) && Date.now() < deadline) await delay(100);
  expect(output(), `${at}: then the fakes print a Braze request with segment_high_intent`).toMatch(braze);
  expect(output(), `${at}: then the fakes print a HubSpot upsert`).toMatch(hubspot);
  const adDeadline = Date.now() + AD_WAIT_MS;
  while (!meta.test(output()) && Date.now() < adDeadline) await delay(100);
  expect(output(), `${at}: then the fakes print a Meta add with hashed e-mail and phone`).toMatch(meta);
  expect(output(), `${at}: no raw e-mail in what the fakes print`).not.toMatch(/ada@example\.com/i);
}

async function runStep({ command }: Step): Promise<void> {
  const { env, rest } = assignments(command.words);
  const [program = '', ...args] = rest;
  const at = `README.md:${command.line}`;
  if (program === 'npm' && (args[0] === 'ci' || args[0] === 'test')) return; // done / this very run
  if (program === 'npm' && args[0] === 'start' && args.length === 1) return startRelay(env);
  if (Object.keys(env).length > 0) throw new Error(`${at}: variables are only supported before npm start`);
  if (program === 'export') {
    Object.assign(shellEnv, assignments(args).env);
    return;
  }
  if (program === 'npx' && args[0] === 'audience-relay' && args[1] === 'fakes')
    return startFakes(args.slice(1));
  if (program === 'npx' && args[0] === 'audience-relay') {
    const env = { ...baseEnv(), RELAY_URL: withRelayUrl(DEFAULT_RELAY_URL), ...shellEnv };
    const ran = await run(process.execPath, [BIN, ...args.slice(1).map(withRelayUrl)], env);
    expect(ran.code, `${at}: exit code; stderr: ${ran.stderr}`).toBe(0);
    return;
  }
  if (program === 'node') {
    const ran = await run(process.execPath, args.map(withRelayUrl), { ...baseEnv(), ...shellEnv });
    expect(ran.code, `${at}: exit code; stderr: ${ran.stderr}`).toBe(0);
    if (fakes) await fakesPrintedTheDeliveries(at);
    return;
  }
  if (program === 'curl') {
    const marker = '\n--http-status:';
    const ran = await run('curl', [...args.map(withRelayUrl), '--write-out', `${marker}%{http_code}`], {
      ...baseEnv(),
      ...shellEnv,
    });
    expect(ran.code, `${at}: curl's exit code; stderr: ${ran.stderr}`).toBe(0);
    const body = ran.stdout.slice(0, ran.stdout.lastIndexOf(marker));
    const status = ran.stdout.slice(ran.stdout.lastIndexOf(marker) + marker.length);
    expect(status, `${at}: HTTP status (answer ${body})`).toMatch(/^2\d\d$/);
    if (command.comment !== undefined)
      expect(body.trim(), `${at}: the answer shown under it`).toBe(command.comment);
    return;
  }
  throw new Error(`${at}: the walk-through test does not know how to run "${program}"`);
}

describe("README.md's quick start and walk-through, run against the relay process", () => {
  it('finds the commands', () => {
    const programs = STEPS.map(({ command }) => assignments(command.words).rest.slice(0, 2).join(' '));
    expect(programs).toEqual(expect.arrayContaining(['npm start', 'npx audience-relay']));
  });

  it.each(STEPS)('$name', async (step) => {
    await runStep(step);
  });

  it('Ctrl-C stops the fakes with exit code 0', async () => {
    if (!fakes) return;
    const closed = once(fakes.child, 'close');
    fakes.child.kill('SIGINT');
    const [code] = (await closed) as [number | null];
    expect(code, fakes.output()).toBe(0);
    expect(fakes.output()).toContain('fakes stopped');
  });
});
