import { tmpdir } from 'node:os';
import { resolve } from 'node:path';

/** Benchmark knobs, all from the environment so `npm run bench` needs no arguments. */
export interface BenchSettings {
  /** Seconds of measured load per scenario (BENCH_DURATION, default 10). */
  durationS: number;
  /** Seconds of unmeasured load before each measurement, for the JIT and SQLite caches (BENCH_WARMUP, default 1). */
  warmupS: number;
  /** Connections for the single-event scenarios (BENCH_CONNECTIONS, default 100). */
  connections: number;
  /** Connections for the batch scenarios (BENCH_BATCH_CONNECTIONS, default 8). */
  batchConnections: number;
  /** Events per `/v1/batch` request (BENCH_BATCH_SIZE, default 500). */
  batchSize: number;
  /**
   * messageIds in random order like browser SDKs' (BENCH_MESSAGE_IDS=random, the default) or in
   * sending order like time-prefixed server SDKs' (BENCH_MESSAGE_IDS=sequential).
   */
  randomMessageIds: boolean;
  /** Only the scenarios with these ids, e.g. `track.baseline,track.relay` (BENCH_ONLY, comma separated; empty = all). */
  only: string[];
  /** Also run the extra scenarios (BENCH_EXTRA=1): group-commit window 0 and 2 ms. */
  extra: boolean;
  /** Sections to run (BENCH_SECTIONS, comma separated; empty = all). */
  sections: string[];
  /** Start the relay with `--cpu-prof` and write profiles here (BENCH_PROFILE=1 -> bench/profiles). */
  profileDir: string | undefined;
  /** Where the fresh SQLite databases go (BENCH_DB_DIR, default the OS temp dir). */
  dbDir: string;
  /** Measure this commit (BENCH_REF, e.g. HEAD) from a snapshot instead of the working tree. */
  sourceRef: string | undefined;
  /**
   * `npm run bench -- --smoke` (or BENCH_SMOKE=1): every section briefly, for CI. It checks that the
   * benchmark runs and its store checks pass; its figures are not measurements. Sections shorten
   * themselves when this is set (intake: only the relay and baseline scenarios).
   */
  smoke: boolean;
  /** Where the figures go (BENCH_RESULTS, default bench/results.json). */
  resultsFile: string | undefined;
}

/**
 * What `--smoke` sets unless the environment already does: short runs and small counts. Applied to
 * the environment before the sections are loaded, so a section that reads its own variables at load
 * time (BENCH_PROCESSING_EVENTS, BENCH_DELIVERY_SECONDS ...) is shortened as well.
 */
export const SMOKE_ENV: Record<string, string> = {
  BENCH_SMOKE: '1',
  BENCH_DURATION: '1',
  BENCH_WARMUP: '0.5',
  BENCH_CONNECTIONS: '20',
  BENCH_BATCH_CONNECTIONS: '2',
  BENCH_BATCH_SIZE: '100',
  BENCH_PROCESSING_EVENTS: '1500',
  BENCH_DELIVERY_RATE: '50',
  BENCH_DELIVERY_SECONDS: '1',
};

/** Applies SMOKE_ENV (variables already set win) when `--smoke` is among the arguments. */
export function applySmokeArgument(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): void {
  if (!argv.includes('--smoke') && env.BENCH_SMOKE !== '1') return;
  for (const [name, value] of Object.entries(SMOKE_ENV)) {
    if (env[name] === undefined || env[name] === '') env[name] = value;
  }
}

export function readSettings(env: Record<string, string | undefined> = process.env): BenchSettings {
  return {
    durationS: positiveNumber(env, 'BENCH_DURATION', 10),
    warmupS: nonNegativeNumber(env, 'BENCH_WARMUP', 1),
    connections: positiveInteger(env, 'BENCH_CONNECTIONS', 100),
    batchConnections: positiveInteger(env, 'BENCH_BATCH_CONNECTIONS', 8),
    batchSize: positiveInteger(env, 'BENCH_BATCH_SIZE', 500),
    randomMessageIds: messageIdOrder(env.BENCH_MESSAGE_IDS),
    only: list(env.BENCH_ONLY),
    extra: env.BENCH_EXTRA === '1',
    sections: list(env.BENCH_SECTIONS),
    profileDir: profileDir(env.BENCH_PROFILE),
    dbDir: env.BENCH_DB_DIR || tmpdir(),
    sourceRef: env.BENCH_REF || undefined,
    smoke: env.BENCH_SMOKE === '1',
    resultsFile: env.BENCH_RESULTS ? resolve(env.BENCH_RESULTS) : undefined,
  };
}

/** BENCH_PROFILE=1 -> <cwd>/bench/profiles; any other value is taken as the directory. */
function profileDir(value: string | undefined): string | undefined {
  if (value === undefined || value === '' || value === '0') return undefined;
  return resolve(value === '1' ? 'bench/profiles' : value);
}

function messageIdOrder(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'random') return true;
  if (value === 'sequential') return false;
  throw new Error(`BENCH_MESSAGE_IDS: expected random or sequential, got "${value}"`);
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function nonNegativeNumber(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: expected a number >= 0, got "${text}"`);
  return value;
}

function positiveNumber(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const value = nonNegativeNumber(env, name, fallback);
  if (value === 0) throw new Error(`${name}: must be greater than 0`);
  return value;
}

function positiveInteger(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isInteger(value)) throw new Error(`${name}: expected a whole number, got ${value}`);
  return value;
}
