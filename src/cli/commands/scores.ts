import type { Command } from 'commander';
import { ScoreDetail, ScoresOverview, type ScoreEntry } from '../../admin/score-view.js';
import { binEdge } from '../../engine/scores/histogram.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { formatTime, printJson, printLines, table } from '../output.js';

interface ScoresOptions extends ConnectionOptions {
  json?: boolean;
  trait?: string;
  snapshot?: boolean;
}

const BAR_WIDTH = 40;
const HISTORY_SHOWN = 14;

/**
 * `scores`: every score and model trait's latest daily histogram and its drift (PSI) against the
 * reference day, warnings last; `--trait <name>` one series as an ASCII histogram with its tier cut
 * points and PSI history; `--snapshot` takes today's snapshot first (docs/scores.md).
 */
export function registerScores(program: Command): void {
  withConnection(
    program
      .command('scores')
      .description('score drift: the daily histogram of every score and model trait, PSI and warnings')
      .option('--trait <name>', 'one trait (or <model>.shadow): its histogram and tier cut points')
      .option('--snapshot', "take today's snapshot now (it replaces today's), then show")
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: ScoresOptions) => {
    const client = new AdminClient(options);
    const taken = options.snapshot ? await client.post(ScoresOverview, '/scores/snapshot') : undefined;
    if (options.trait !== undefined) {
      const detail = await client.get(ScoreDetail, `/scores/${encodeURIComponent(options.trait)}`);
      return options.json ? printJson(detail) : printLines(detailLines(detail));
    }
    const overview = taken ?? (await client.get(ScoresOverview, '/scores'));
    if (options.json) return printJson(overview);
    printLines(overviewLines(overview));
  });
}

export function overviewLines(overview: ScoresOverview): string[] {
  if (overview.scores.length === 0) return ['no score or model trait is configured'];
  const rows = table(
    [
      { header: 'TRAIT' },
      { header: 'DAY' },
      { header: 'SCORED', align: 'right' },
      { header: 'PSI', align: 'right' },
      { header: 'REFERENCE' },
      { header: 'STATUS' },
    ],
    overview.scores.map((entry) => [
      entry.series,
      entry.day ?? '-',
      String(entry.scored),
      entry.psi === null ? '-' : entry.psi.toFixed(4),
      entry.referenceDay ?? '-',
      status(entry),
    ]),
  );
  const settings = `threshold ${overview.threshold}, reference ${overview.referenceDays} days back, ${overview.bins} bins`;
  const shadows = overview.scores.flatMap((entry) => (entry.againstLive ? [entry.againstLive.message] : []));
  const warnings = overview.warnings.map((warning) => `warning: ${warning}`);
  return [...rows, '', settings, ...shadows, ...warnings];
}

function status(entry: ScoreEntry): string {
  if (entry.day === null) return 'no snapshot yet';
  if (entry.psi === null) return 'no PSI yet';
  return entry.drifted ? 'DRIFTED' : 'stable';
}

/** The histogram as bars, the tier cut points and why, the verdict, the PSI history. */
export function detailLines(detail: ScoreDetail): string[] {
  const head = `${detail.series} (${detail.shadow ? 'shadow model' : detail.kind})`;
  if (detail.histogram === null) return [head, detail.message];
  const histogram = detail.histogram;
  const largest = Math.max(1, ...histogram.counts);
  const edge = (bin: number) => trim(binEdge(histogram, bin));
  const labels = histogram.counts.map(
    (_, bin) => `[${edge(bin)}, ${edge(bin + 1)}${bin === histogram.counts.length - 1 ? ']' : ')'}`,
  );
  const width = Math.max(...labels.map((label) => label.length));
  const countWidth = Math.max(...histogram.counts.map((count) => String(count).length));
  const bars = histogram.counts.map((count, bin) => {
    const bar = '#'.repeat(Math.round((count / largest) * BAR_WIDTH));
    return `  ${(labels[bin] ?? '').padEnd(width)}  ${String(count).padStart(countWidth)}  ${bar}`.trimEnd();
  });
  const tiers = detail.tierCutPoints;
  const cutLines = tiers
    ? [
        `tier cut points (${tiers.tiers} tiers): ${tiers.cutPoints.map(trim).join(', ')}`,
        `  ${tiers.explanation}`,
      ]
    : [];
  const history = detail.history
    .slice(0, HISTORY_SHOWN)
    .map(
      (entry) =>
        `  ${entry.day}  ${entry.psi === null ? '-' : entry.psi.toFixed(4)}${entry.drifted ? '  DRIFTED' : ''}` +
        (entry.referenceDay ? `  (against ${entry.referenceDay})` : entry.note ? `  (${entry.note})` : ''),
    );
  return [
    `${head} on ${detail.day}, taken ${formatTime(detail.takenAt)}: ${detail.scored} scored, ${detail.missing} without a value`,
    ...bars,
    ...cutLines,
    detail.drifted ? `warning: ${detail.message}` : detail.message,
    ...(detail.againstLive ? [detail.againstLive.message] : []),
    ...(history.length > 0 ? ['PSI history:', ...history] : []),
  ];
}

/** A bin edge or cut point without float noise: 0.30000000000000004 -> 0.3. */
function trim(value: number): string {
  return String(Number(value.toFixed(4)));
}
