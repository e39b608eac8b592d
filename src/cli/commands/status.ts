import type { Command } from 'commander';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import type { ConfigStatus, Processing } from '../api-types.js';
import { formatTime, keyValues, plural, printJson, printLines } from '../output.js';

/** `status`: processing progress, the last configuration reload, backfills. */
export function registerStatus(program: Command): void {
  withConnection(
    program
      .command('status')
      .description('processing (stored/processed/pending), last configuration reload, backfills')
      .option('--json', 'print the API answers as JSON ({ processing, config })'),
  ).action(async (options: ConnectionOptions & { json?: boolean }) => {
    const client = new AdminClient(options);
    const [processing, config] = await Promise.all([
      client.get<Processing>('/processing'),
      client.get<ConfigStatus>('/config'),
    ]);
    if (options.json) return printJson({ processing, config });
    printLines(statusLines(processing, config));
  });
}

function statusLines(processing: Processing, config: ConfigStatus): string[] {
  const reload = config.lastReload;
  const reloadText = !reload
    ? 'never'
    : `${formatTime(reload.at)} (${reload.trigger}) ${reload.ok ? 'ok' : `refused, ${plural(reload.errors.length, 'error')}`}`;
  const lines = keyValues([
    [
      'processing',
      `stored ${processing.storedSeq}  processed ${processing.processedSeq}  pending ${processing.pending}`,
    ],
    [
      'config',
      `${config.dir}: ${plural(config.sources.length, 'source')}, ${plural(config.traits.length, 'trait')}`,
    ],
    ['last reload', reloadText],
  ]);
  const backfills = config.backfills;
  if (backfills.length === 0) return [...lines, 'backfills    none'];
  const busy = backfills.filter((row) => row.status !== 'ready');
  lines.push(`backfills    ${backfills.length - busy.length} ready, ${busy.length} running`);
  lines.push(
    ...keyValues(
      busy.map((row) => [row.name, `${row.status} ${row.done}/${row.total}`]),
      '  ',
    ),
  );
  return lines;
}
