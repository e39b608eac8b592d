/**
 * Intake benchmark: how many events per second the relay accepts durably over HTTP, compared with
 * a bare Express server that only parses the JSON (the ceiling on this machine), and whether the
 * store holds exactly what was acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type ServerProcess } from './lib/child.js';
import { cpuShare, cpuSnapshot, loadAverage, round, type CpuShare, type LoadAverage } from './lib/cpu.js';
import { RequestLedger } from './lib/ledger.js';
import { runLoad, type LoadFigures } from './lib/load.js';
import { BodyTemplate, MessageIds } from './lib/payloads.js';
import { commitFigures, scrapeCommitCounters, type CommitFigures } from './lib/prometheus.js';
import type { BenchFigure, BenchSection } from './lib/section.js';
import type { BenchSettings } from './lib/settings.js';
import type { SourceTree } from './lib/source.js';
import { formatNumber, renderTable, type Column } from './lib/table.js';
import { checkStore, type StoreCheck } from './lib/verify.js';

const WRITE_KEY = 'dev-web-write-key';
const TARGET_TRACK_RATIO = 0.7;
const TARGET_BATCH_EVENTS_PER_SECOND = 100_000;

type Workload = 'track' | 'batch';
type Synchronous = 'FULL' | 'NORMAL';

interface Scenario {
  id: string;
  workload: Workload;
  server: 'baseline' | 'relay';
  synchronous?: Synchronous;
  groupCommitWindowMs?: number;
  /** The relay's processing loop runs in the same thread as intake unless this is false. */
  processing?: boolean;
  /** Run only when named in BENCH_ONLY or with BENCH_EXTRA=1 (keeps the default run under 2 minutes). */
  extra?: boolean;
  /** Also run by `--smoke` (the baselines and the relay as deployed). */
  smoke?: boolean;
}

const relay = (id: string, workload: Workload, knobs: Partial<Scenario> = {}): Scenario => ({
  id,
  workload,
  server: 'relay',
  synchronous: 'FULL',
  groupCommitWindowMs: 1,
  processing: true,
  ...knobs,
});

/**
 * `*.relay` is the relay as deployed (FULL, 1 ms window, processing on); the other relay lines
 * change one knob each to show what it costs.
 */
const SCENARIOS: Scenario[] = [
  { id: 'track.baseline', workload: 'track', server: 'baseline', smoke: true },
  relay('track.relay', 'track', { smoke: true }),
  relay('track.relay.intake-only', 'track', { processing: false }),
  relay('track.relay.normal', 'track', { synchronous: 'NORMAL' }),
  relay('track.relay.window0', 'track', { groupCommitWindowMs: 0, extra: true }),
  relay('track.relay.window2', 'track', { groupCommitWindowMs: 2, extra: true }),
  { id: 'batch.baseline', workload: 'batch', server: 'baseline', smoke: true },
  relay('batch.relay', 'batch', { smoke: true }),
  relay('batch.relay.intake-only', 'batch', { processing: false }),
];

export interface ScenarioResult {
  id: string;
  server: Scenario['server'];
  workload: Workload;
  config: {
    path: string;
    connections: number;
    durationS: number;
    warmupS: number;
    eventsPerRequest: number;
    bodyBytes: number;
    randomMessageIds: boolean;
    synchronous?: Synchronous;
    groupCommitWindowMs?: number;
    processing?: boolean;
  };
  load: LoadFigures;
  /** Cores busy during the measurement: server process, load generator, everything else. */
  cpu: CpuShare;
  /**
   * Server CPU time per acknowledged request / event, in µs: unlike throughput, this hardly moves
   * when other processes compete for the cores, so it compares runs on a busy machine.
   */
  serverCpuUs: { perRequest: number | undefined; perEvent: number | undefined };
  loadAverage: { before: LoadAverage; after: LoadAverage };
  /** Relay only: group commits (and background processing) during the measurement. */
  commits?: CommitFigures;
  /** Relay only: the store checked against every answer the load generator received. */
  store?: StoreCheck;
  exitCode: number | null;
}

export interface IntakeResults {
  measuredAt: string;
  targets: { trackRatio: number; batchEventsPerSecond: number };
  summary: {
    /** track.relay requests/s divided by track.baseline requests/s. */
    trackRatio: number | undefined;
    trackRatioMet: boolean | undefined;
    /** Baseline server CPU per request divided by the relay's: the same ratio, robust to CPU contention. */
    trackCpuRatio: number | undefined;
    /** The same ratio with the relay's processing loop off: intake's own cost. */
    trackRatioIntakeOnly: number | undefined;
    batchEventsPerSecond: number | undefined;
    batchEventsPerSecondMet: boolean | undefined;
    batchEventsPerSecondIntakeOnly: number | undefined;
    /** Every relay scenario's store check passed. */
    storeChecksOk: boolean;
  };
  scenarios: Record<string, ScenarioResult>;
}

export const intakeSection: BenchSection = {
  key: 'intake',
  title: 'Intake: events accepted durably over HTTP',
  run: runIntake,
  figures: (result) => intakeFigures(result as IntakeResults),
};

/** track.*: requests/s against track.baseline; batch.*: events/s against batch.baseline. */
function intakeFigures(intake: IntakeResults): BenchFigure[] {
  return Object.values(intake.scenarios).map((result) => {
    const unit = result.workload === 'track' ? 'req/s' : 'events/s';
    const figure = (r: ScenarioResult | undefined) =>
      r === undefined ? undefined : unit === 'req/s' ? r.load.requestsPerSecond : r.load.eventsPerSecond;
    const baselineId = `${result.workload}.baseline`;
    const value = figure(result);
    const baselineValue = figure(intake.scenarios[baselineId]);
    return {
      section: 'intake',
      scenario: result.id,
      unit,
      value,
      baseline: baselineId,
      baselineValue,
      ratio:
        value === undefined || baselineValue === undefined || baselineValue === 0
          ? undefined
          : round(value / baselineValue, 3),
    };
  });
}

async function runIntake(settings: BenchSettings, source: SourceTree): Promise<IntakeResults> {
  const selected = SCENARIOS.filter((scenario) => isSelected(scenario, settings));
  const runId = Date.now().toString(36);
  const results: Record<string, ScenarioResult> = {};
  for (const [index, scenario] of selected.entries()) {
    process.stdout.write(`  ${scenario.id} ${describe(scenario)} ... `);
    const result = await runScenario(scenario, settings, source.root, `b${runId}s${index}`);
    results[scenario.id] = result;
    process.stdout.write(`${formatNumber(result.load.requestsPerSecond)} req/s\n`);
  }
  const intake = summarize(results);
  process.stdout.write(
    `\n${renderTable(Object.values(results), columns(results))}\n\n${summaryLines(intake)}\n`,
  );
  return intake;
}

function isSelected(scenario: Scenario, settings: BenchSettings): boolean {
  if (settings.only.length > 0) return settings.only.includes(scenario.id);
  if (settings.smoke) return scenario.smoke === true;
  return scenario.extra !== true || settings.extra;
}

function describe(scenario: Scenario): string {
  if (scenario.server === 'baseline') return '(bare express.json)';
  const processing = scenario.processing === false ? ', processing off' : '';
  return `(SQLITE_SYNCHRONOUS=${scenario.synchronous}, GROUP_COMMIT_WINDOW_MS=${scenario.groupCommitWindowMs}${processing})`;
}

/** What one scenario sends: the request bodies (with their messageIds), where, and how hard. */
interface LoadPlan {
  ids: MessageIds;
  template: BodyTemplate;
  path: string;
  connections: number;
}

function planLoad(scenario: Scenario, settings: BenchSettings, tag: string): LoadPlan {
  const ids = new MessageIds(tag, settings.randomMessageIds);
  const track = scenario.workload === 'track';
  return {
    ids,
    template: track ? BodyTemplate.single(ids) : BodyTemplate.batch(ids, settings.batchSize),
    path: `/v1/${scenario.workload}`,
    connections: track ? settings.connections : settings.batchConnections,
  };
}

async function runScenario(
  scenario: Scenario,
  settings: BenchSettings,
  root: string,
  tag: string,
): Promise<ScenarioResult> {
  const plan = planLoad(scenario, settings, tag);
  const ledger = new RequestLedger();
  const dbDir = scenario.server === 'relay' ? mkdtempSync(join(settings.dbDir, 'relay-bench-')) : undefined;
  const dbPath = dbDir === undefined ? undefined : join(dbDir, 'relay.db');
  try {
    const server = await startServer(serverSpec(scenario, settings, root, dbPath));
    const { template, connections } = plan;
    const url = `${server.url}${plan.path}`;
    const load = (durationS: number) =>
      runLoad({ url, headers: requestHeaders(), connections, durationS, template, ledger });
    const measured = await measure(server, scenario, settings, load);
    const store =
      dbPath === undefined ? undefined : checkStore(dbPath, plan.ids, ledger, template.eventsPerRequest);
    return {
      id: scenario.id,
      server: scenario.server,
      workload: scenario.workload,
      config: scenarioConfig(scenario, settings, plan),
      ...measured,
      serverCpuUs: cpuPerUnit(measured.cpu, measured.load),
      store,
    };
  } finally {
    if (dbDir !== undefined) rmSync(dbDir, { recursive: true, force: true });
  }
}

function scenarioConfig(
  scenario: Scenario,
  settings: BenchSettings,
  plan: LoadPlan,
): ScenarioResult['config'] {
  return {
    path: plan.path,
    connections: plan.connections,
    durationS: settings.durationS,
    warmupS: settings.warmupS,
    eventsPerRequest: plan.template.eventsPerRequest,
    bodyBytes: plan.template.bodyBytes(),
    randomMessageIds: settings.randomMessageIds,
    synchronous: scenario.synchronous,
    groupCommitWindowMs: scenario.groupCommitWindowMs,
    processing: scenario.processing,
  };
}

function cpuPerUnit(cpu: CpuShare, load: LoadFigures): ScenarioResult['serverCpuUs'] {
  const per = (rate: number) =>
    cpu.serverCores === undefined || rate === 0 ? undefined : round((cpu.serverCores / rate) * 1e6, 1);
  return { perRequest: per(load.requestsPerSecond), perEvent: per(load.eventsPerSecond) };
}

type Measured = Pick<ScenarioResult, 'load' | 'cpu' | 'loadAverage' | 'commits' | 'exitCode'>;

/** Warm-up, then the measured run with CPU and group-commit counters around it, then SIGTERM. */
async function measure(
  server: ServerProcess,
  scenario: Scenario,
  settings: BenchSettings,
  load: (durationS: number) => Promise<LoadFigures>,
): Promise<Measured> {
  const isRelay = scenario.server === 'relay';
  try {
    if (settings.warmupS > 0) await load(settings.warmupS);
    const countersBefore = isRelay ? await scrapeCommitCounters(server.url) : undefined;
    const loadBefore = loadAverage();
    const cpuBefore = cpuSnapshot(server.pid);
    const figures = await load(settings.durationS);
    const cpu = cpuShare(cpuBefore, cpuSnapshot(server.pid));
    const loadAfter = loadAverage();
    const commits =
      countersBefore === undefined
        ? undefined
        : commitFigures(countersBefore, await scrapeCommitCounters(server.url), figures.durationS);
    const exitCode = await server.stop();
    return { load: figures, cpu, loadAverage: { before: loadBefore, after: loadAfter }, commits, exitCode };
  } finally {
    await server.stop();
  }
}

function serverSpec(scenario: Scenario, settings: BenchSettings, root: string, dbPath: string | undefined) {
  const common = { cwd: root, env: { NODE_ENV: 'production', LOG_LEVEL: 'silent' } };
  if (scenario.server === 'baseline' || dbPath === undefined) {
    return {
      ...common,
      entry: 'bench/baseline-server.ts',
      readyPath: '/',
      nodeFlags: profileFlags(scenario, settings),
    };
  }
  return {
    ...common,
    entry: scenario.processing === false ? 'bench/relay-intake-only.ts' : 'src/main.ts',
    readyPath: '/readyz',
    readyStatus: 200,
    nodeFlags: profileFlags(scenario, settings),
    env: {
      ...common.env,
      STORE_URL: `sqlite:${dbPath}`,
      MAPPINGS_DIR: join(root, 'mappings'),
      SEGMENT_WRITE_KEY: WRITE_KEY,
      SQLITE_SYNCHRONOUS: scenario.synchronous ?? 'FULL',
      GROUP_COMMIT_WINDOW_MS: String(scenario.groupCommitWindowMs ?? 1),
    },
  };
}

/**
 * `--cpu-prof` into <profileDir>/<scenario id>/: one file per thread (tsx's module loader runs on
 * its own thread); `npx tsx bench/profile-summary.ts <dir>` picks the busiest, the main thread.
 */
function profileFlags(scenario: Scenario, settings: BenchSettings): string[] {
  if (settings.profileDir === undefined) return [];
  const dir = join(settings.profileDir, scenario.id);
  rmSync(dir, { recursive: true, force: true });
  return ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250'];
}

/** Both servers get the same headers, so header parsing costs the same. */
function requestHeaders(): Record<string, string> {
  return {
    'content-type': 'application/json',
    authorization: `Basic ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`,
  };
}

function summarize(scenarios: Record<string, ScenarioResult>): IntakeResults {
  const trackRatio = ratioToBaseline(scenarios, 'track.relay');
  const batchEventsPerSecond = scenarios['batch.relay']?.load.eventsPerSecond;
  return {
    measuredAt: new Date().toISOString(),
    targets: { trackRatio: TARGET_TRACK_RATIO, batchEventsPerSecond: TARGET_BATCH_EVENTS_PER_SECOND },
    summary: {
      trackRatio,
      trackRatioMet: trackRatio === undefined ? undefined : trackRatio >= TARGET_TRACK_RATIO,
      trackCpuRatio: cpuRatio(scenarios['track.baseline'], scenarios['track.relay']),
      trackRatioIntakeOnly: ratioToBaseline(scenarios, 'track.relay.intake-only'),
      batchEventsPerSecond,
      batchEventsPerSecondMet:
        batchEventsPerSecond === undefined
          ? undefined
          : batchEventsPerSecond >= TARGET_BATCH_EVENTS_PER_SECOND,
      batchEventsPerSecondIntakeOnly: scenarios['batch.relay.intake-only']?.load.eventsPerSecond,
      storeChecksOk: Object.values(scenarios).every((result) => result.store?.ok !== false),
    },
    scenarios,
  };
}

/** A relay scenario's requests/s divided by the baseline's for the same workload. */
function ratioToBaseline(scenarios: Record<string, ScenarioResult>, id: string): number | undefined {
  const result = scenarios[id];
  const baseline = result === undefined ? undefined : scenarios[`${result.workload}.baseline`];
  if (result === undefined || baseline === undefined || baseline.load.requestsPerSecond === 0)
    return undefined;
  return round(result.load.requestsPerSecond / baseline.load.requestsPerSecond, 3);
}

function cpuRatio(baseline: ScenarioResult | undefined, relay: ScenarioResult | undefined) {
  const base = baseline?.serverCpuUs.perRequest;
  const own = relay?.serverCpuUs.perRequest;
  return base === undefined || own === undefined ? undefined : round(base / own, 3);
}

function columns(scenarios: Record<string, ScenarioResult>): Column<ScenarioResult>[] {
  return [
    { title: 'scenario', value: (r) => r.id, align: 'left' },
    { title: 'req/s', value: (r) => formatNumber(r.load.requestsPerSecond) },
    { title: 'events/s', value: (r) => formatNumber(r.load.eventsPerSecond) },
    { title: 'p50 ms', value: (r) => formatNumber(r.load.latencyMs.p50, 1) },
    { title: 'p99 ms', value: (r) => formatNumber(r.load.latencyMs.p99, 1) },
    {
      title: 'vs base',
      value: (r) => (r.server === 'baseline' ? '1' : formatNumber(ratioToBaseline(scenarios, r.id), 2)),
    },
    { title: 'non2xx', value: (r) => formatNumber(r.load.non2xx) },
    { title: 'errors', value: (r) => formatNumber(r.load.errors) },
    { title: 'group ev', value: (r) => formatNumber(r.commits?.meanGroupEvents, 1) },
    { title: 'commit ms', value: (r) => formatNumber(r.commits?.meanCommitMs, 2) },
    { title: 'processed/s', value: (r) => formatNumber(r.commits?.eventsProcessedPerSecond) },
    { title: 'srv cpu', value: (r) => formatNumber(r.cpu.serverCores, 2) },
    { title: 'cpu µs/ev', value: (r) => formatNumber(r.serverCpuUs.perEvent, 1) },
    { title: 'gen cpu', value: (r) => formatNumber(r.cpu.loadGeneratorCores, 2) },
    { title: 'other cpu', value: (r) => formatNumber(r.cpu.otherCores, 2) },
    { title: 'store check', value: (r) => describeStore(r.store), align: 'left' },
  ];
}

function describeStore(store: StoreCheck | undefined): string {
  if (store === undefined) return '-';
  const inFlight =
    store.storedFromUnanswered > 0 ? ` +${formatNumber(store.storedFromUnanswered)} in flight` : '';
  const equality = `${formatNumber(store.storedEvents)} stored = ${formatNumber(store.expectedFromAcknowledged)} acked${inFlight}`;
  if (store.ok) return `ok ${equality}`;
  const problems = [
    ['lost', store.lostEvents],
    ['rejected-but-stored', store.rejectedButStored],
    ['partial', store.partialRequests],
    ['duplicates', store.duplicates],
    ['unknown', store.unknownEvents],
  ].filter(([, count]) => count !== 0);
  return `FAIL ${problems.map(([name, count]) => `${name}=${count}`).join(' ')} (${equality})`;
}

function summaryLines(intake: IntakeResults): string {
  const { summary, targets } = intake;
  const verdict = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? 'MET' : 'MISSED');
  return [
    `track: relay/baseline = ${formatNumber(summary.trackRatio, 2)} (target >= ${targets.trackRatio}) ${verdict(summary.trackRatioMet)}` +
      `; by server CPU per request ${formatNumber(summary.trackCpuRatio, 2)}` +
      `; processing off ${formatNumber(summary.trackRatioIntakeOnly, 2)}`,
    `batch: ${formatNumber(summary.batchEventsPerSecond)} events/s (target >= ${formatNumber(targets.batchEventsPerSecond)}) ${verdict(summary.batchEventsPerSecondMet)}` +
      `; processing off ${formatNumber(summary.batchEventsPerSecondIntakeOnly)} events/s`,
    `store checks: ${summary.storeChecksOk ? 'all ok' : 'FAILED (see the store check column)'}`,
  ].join('\n');
}
