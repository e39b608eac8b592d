/**
 * `npm run bench`: runs each benchmark section, prints its table and writes every figure to
 * bench/results.json as `{ "meta": {...}, "<section>": {...} }`. Sections not run this time keep
 * their previous figures in the file.
 *
 * Environment (details in bench/README.md): BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 1),
 * BENCH_CONNECTIONS (100), BENCH_BATCH_CONNECTIONS (8), BENCH_BATCH_SIZE (500), BENCH_MESSAGE_IDS
 * (random | sequential), BENCH_ONLY (scenario ids), BENCH_EXTRA=1 (also the extra scenarios),
 * BENCH_SECTIONS (section keys), BENCH_PROFILE=1 (servers run with --cpu-prof into
 * bench/profiles/<scenario>), BENCH_DB_DIR, BENCH_REF (measure a commit, e.g. HEAD, from a snapshot),
 * BENCH_RESULTS (where the figures go). `--smoke` (BENCH_SMOKE=1): every section briefly, for CI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadAverage } from './lib/cpu.js';
import type { BenchFigure, BenchSection } from './lib/section.js';
import { applySmokeArgument, readSettings, type BenchSettings } from './lib/settings.js';
import { prepareSource } from './lib/source.js';
import { formatNumber, renderTable } from './lib/table.js';

const DEFAULT_RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Loaded after `--smoke` has set its environment: some sections read theirs when loaded. */
async function loadSections(): Promise<BenchSection[]> {
  const [{ intakeSection }, { processingSection }, { deliverySection }] = await Promise.all([
    import('./intake.js'),
    import('./processing.js'),
    import('./delivery.js'),
  ]);
  return [
    intakeSection,
    processingSection,
    deliverySection,
    (await import('./growth.js')).growthSection,
    (await import('./budget.js')).budgetSection,
  ];
}

async function main(): Promise<void> {
  applySmokeArgument(process.argv.slice(2));
  const settings = readSettings();
  const resultsFile = settings.resultsFile ?? DEFAULT_RESULTS_FILE;
  const sections = await loadSections();
  const source = prepareSource(REPO_ROOT, settings.sourceRef);
  const meta = { ...machineInfo(settings), measuredCode: source.description };
  process.stdout.write(describeMachine(meta));
  const results: Record<string, object> = {};
  const figures: BenchFigure[] = [];
  try {
    for (const section of sections) {
      if (settings.sections.length > 0 && !settings.sections.includes(section.key)) continue;
      process.stdout.write(`\n== ${section.title} ==\n`);
      const result = await section.run(settings, source);
      results[section.key] = result;
      figures.push(...(section.figures?.(result) ?? genericFigures(section.key, result)));
    }
  } finally {
    source.cleanup();
  }
  const finished = { ...meta, finishedAt: new Date().toISOString(), loadAverageAtEnd: loadAverage() };
  const previous = previousResults(resultsFile);
  const previousFigures = Array.isArray(previous.figures) ? (previous.figures as BenchFigure[]) : [];
  const ran = new Set(Object.keys(results));
  const allFigures = [...previousFigures.filter((figure) => !ran.has(figure.section)), ...figures];
  writeFileSync(
    resultsFile,
    `${JSON.stringify({ ...previous, meta: finished, ...results, figures: allFigures }, null, 2)}\n`,
  );
  process.stdout.write(`\n== every figure, with its same-run baseline ==\n${figureTable(figures)}\n`);
  if (settings.smoke) process.stdout.write('\nsmoke run: the figures above are not measurements\n');
  process.stdout.write(`\nfigures written to ${resultsFile}\n`);
}

function figureTable(figures: BenchFigure[]): string {
  return renderTable(figures, [
    { title: 'section', value: (f) => f.section, align: 'left' },
    { title: 'scenario', value: (f) => f.scenario, align: 'left' },
    { title: 'figure', value: (f) => formatNumber(f.value, f.value !== undefined && f.value < 100 ? 1 : 0) },
    { title: 'unit', value: (f) => f.unit, align: 'left' },
    { title: 'baseline', value: (f) => f.baseline ?? '-', align: 'left' },
    {
      title: 'baseline figure',
      value: (f) =>
        formatNumber(f.baselineValue, f.baselineValue !== undefined && f.baselineValue < 100 ? 1 : 0),
    },
    { title: 'ratio', value: (f) => formatNumber(f.ratio, 2) },
  ]);
}

/** Figures of a section without `figures`: its `scenarios` rows, the first row as the baseline. */
function genericFigures(section: string, result: object): BenchFigure[] {
  const scenarios = (result as { scenarios?: unknown }).scenarios;
  const rows: Record<string, unknown>[] = Array.isArray(scenarios)
    ? (scenarios as Record<string, unknown>[])
    : scenarios !== null && typeof scenarios === 'object'
      ? Object.entries(scenarios as Record<string, Record<string, unknown>>).map(([scenario, row]) => ({
          scenario,
          ...row,
        }))
      : [];
  const UNITS: [string, string][] = [
    ['eventsPerSecond', 'events/s'],
    ['requestsPerSecond', 'req/s'],
    ['p50', 'p50 ms'],
  ];
  const named = rows.map((row, index) => {
    const [field, unit] = UNITS.find(([key]) => typeof row[key] === 'number') ?? ['', ''];
    const name = [row.scenario, row.name, row.maxWait].find((value) => typeof value === 'string');
    return {
      scenario: typeof name === 'string' ? name : `#${index + 1}`,
      unit,
      value: field === '' ? undefined : (row[field] as number),
    };
  });
  const base = named[0];
  return named.map((row) => ({
    section,
    ...row,
    baseline: base?.scenario,
    baselineValue: base?.value,
    ratio: base?.value ? round3((row.value ?? NaN) / base.value) : undefined,
  }));
}

function round3(value: number): number | undefined {
  return Number.isFinite(value) ? Math.round(value * 1000) / 1000 : undefined;
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

function previousResults(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
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
