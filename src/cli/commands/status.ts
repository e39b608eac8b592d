import type { Command } from 'commander';
import { ConfigStatus, Overview, Processing } from '../../admin/api-schema.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { formatTime, keyValues, plural, printJson, printLines } from '../output.js';

/**
 * `status`: processing progress, destinations on and off, which are failing and since when, the last
 * configuration reload, backfills.
 */
export function registerStatus(program: Command): void {
  withConnection(
    program
      .command('status')
      .description(
        'processing (stored/processed/pending), destinations (failing since when), last configuration reload, backfills',
      )
      .option('--json', 'print the API answers as JSON ({ processing, config, overview })'),
  ).action(async (options: ConnectionOptions & { json?: boolean }) => {
    const client = new AdminClient(options);
    const [processing, config, overview] = await Promise.all([
      client.get(Processing, '/processing'),
      client.get(ConfigStatus, '/config'),
      client.get(Overview, '/overview'),
    ]);
    if (options.json) return printJson({ processing, config, overview });
    printLines(statusLines(processing, config, overview));
  });
}

export function statusLines(processing: Processing, config: ConfigStatus, overview: Overview): string[] {
  const reload = config.lastReload;
  const reloadText = !reload
    ? 'never'
    : `${formatTime(reload.at)} (${reload.trigger}) ${reload.ok ? 'ok' : `refused, ${plural(reload.errors.length, 'error')}`}`;
  const on = config.destinations.filter((destination) => destination.enabled).map((d) => d.name);
  const off = config.destinations.filter((destination) => !destination.enabled).map((d) => d.name);
  const destinations =
    config.destinations.length === 0
      ? 'none configured'
      : `on: ${on.join(', ') || 'none'}; off: ${off.join(', ') || 'none'}`;
  const lines = keyValues([
    [
      'processing',
      `stored ${processing.storedSeq}  processed ${processing.processedSeq}  pending ${processing.pending}`,
    ],
    [
      'config',
      `${config.dir}: ${plural(config.sources.length, 'source')}, ${plural(config.traits.length, 'trait')}`,
    ],
    ['destinations', destinations],
    ['failing', failingText(overview)],
    ['last reload', reloadText],
  ]);
  const backfills = config.backfills;
  const width = 'destinations'.length;
  if (backfills.length === 0) return [...lines, `${'backfills'.padEnd(width)}  none`];
  const busy = backfills.filter((row) => row.status !== 'ready');
  lines.push(`${'backfills'.padEnd(width)}  ${backfills.length - busy.length} ready, ${busy.length} running`);
  lines.push(
    ...keyValues(
      busy.map((row) => [row.name, `${row.status} ${row.done}/${row.total}`]),
      '  ',
    ),
  );
  return lines;
}

/** `crm_hook since 09:14:02 (network: ECONNREFUSED), alerting`: every destination whose requests all fail. */
function failingText(overview: Overview): string {
  const failing = overview.destinations.filter((destination) => destination.failingSince !== null);
  if (failing.length === 0) return 'none';
  return failing
    .map((destination) => {
      const last = destination.lastFailure;
      const why = last ? ` (${last.status}: ${last.outcome.slice(0, 80)})` : '';
      return `${destination.destination} since ${formatTime(destination.failingSince)}${why}${destination.alerting ? ', alerting' : ''}`;
    })
    .join('; ');
}
