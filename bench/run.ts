/**
 * `npm run bench`: runs each benchmark section, prints its table and writes every figure to
 * bench/results.json as `{ "meta": {...}, "<section>": {...} }`. Sections not run this time keep
 * their previous figures in the file.
 *
 * Environment (details in bench/README.md): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 1),
 * BENCH_CONNECTIONS (100), BENCH_BATCH_CONNECTIONS (8), BENCH_BATCH_SIZE (500), BENCH_MESSAGE_IDS
 * (random | sequential), BENCH_ONLY (scenario ids), BENCH_EXTRA=1 (also the extra scenarios),
 * BENCH_SECTIONS (section keys), BENCH_PROFILE=1 (servers run with --cpu-prof into
 * bench/profiles/<scenario>), BENCH_DB_DIR, BENCH_REF (measure a commit, e.g. HEAD, from a snapshot).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { intakeSection } from './intake.js';
import { deliverySection } from './delivery.js';
import { processingSection } from './processing.js';
import { loadAverage } from './lib/cpu.js';
import type { BenchSection } from './lib/section.js';
import { readSettings, type BenchSettings } from './lib/settings.js';
import { prepareSource } from './lib/source.js';

const SECTIONS: BenchSection[] = [intakeSection, processingSection, deliverySection];
const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<void> {
  const settings = readSettings();
  const source = prepareSource(REPO_ROOT, settings.sourceRef);
  const meta = { ...machineInfo(settings), measuredCode: source.description };
  process.stdout.write(describeMachine(meta));
  const results: Record<string, object> = {};
  try {
    for (const section of SECTIONS) {
      if (settings.sections.length > 0 && !settings.sections.includes(section.key)) continue;
      process.stdout.write(`\n== ${section.title} ==\n`);
      results[section.key] = await section.run(settings, source);
    }
  } finally {
    source.cleanup();
  }
  const finished = { ...meta, finishedAt: new Date().toISOString(), loadAverageAtEnd: loadAverage() };
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify({ ...previousResults(), meta: finished, ...results }, null, 2)}\n`,
  );
  process.stdout.write(`\nfigures written to ${RESULTS_FILE}\n`);
}

function machineInfo(settings: BenchSettings) {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuCount: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    /** The code measured: HEAD plus how many files under src/ differed from it. */
    git: gitState(),
    /** 1, 5 and 15 minute load averages before the first scenario: other work on the machine. */
    loadAverageAtStart: loadAverage(),
    settings,
  };
}

function describeMachine(meta: ReturnType<typeof machineInfo> & { measuredCode: string }): string {
  const { settings } = meta;
  return [
    `audience-relay benchmark, ${meta.date}`,
    `measuring: ${meta.measuredCode}` +
      (meta.git === undefined
        ? ''
        : ` (repository at ${meta.git.commit.slice(0, 12)}, ${meta.git.uncommittedSrcFiles} uncommitted files in src/)`),
    `node ${meta.node}, ${meta.cpuCount} x ${meta.cpuModel}, ${meta.memoryGb} GB, load average ${meta.loadAverageAtStart.join(' ')}`,
    `${settings.durationS} s measured after ${settings.warmupS} s warm-up per scenario; databases in ${settings.dbDir}`,
    '',
  ].join('\n');
}

function gitState(): { commit: string; uncommittedSrcFiles: number } | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const changed = git('status', '--porcelain', '--', 'src');
    return {
      commit: git('rev-parse', 'HEAD'),
      uncommittedSrcFiles: changed === '' ? 0 : changed.split('\n').length,
    };
  } catch {
    return undefined;
  }
}

function previousResults(): Record<string, unknown> {
  if (!existsSync(RESULTS_FILE)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
