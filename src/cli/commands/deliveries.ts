import type { Command } from 'commander';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { DeliveryList, type DeliveryRow } from '../../admin/api-schema.js';
import { UsageError } from '../errors.js';
import { formatTime, printJson, printLines, table } from '../output.js';
import { defaultOf, positiveInt } from '../parse.js';
import { resolveTime } from '../time.js';

interface SearchOptions extends ConnectionOptions {
  destination?: string;
  status?: string;
  user?: string;
  email?: string;
  profile?: string;
  text?: string;
  since?: string;
  until?: string;
  limit: number;
  json?: boolean;
}

/** `deliveries search ...`: the delivery log, newest first. */
export function registerDeliveries(program: Command): void {
  const deliveries = program.command('deliveries').description('the delivery log');
  const search = deliveries
    .command('search', { isDefault: true })
    .description('search the delivery log (every filter optional)')
    .option('--destination <name>', 'only this destination')
    .option('--status <status>', 'HTTP status, or timeout, network, skipped')
    .option('--user <userId>', 'requests about the profile with this userId')
    .option('--email <email>', 'requests about the profile with this e-mail')
    .option('--profile <id>', 'requests about this profile id')
    .option('--text <text>', 'text in the request or answer (an e-mail is searched by its hash)')
    .option('--since <time>', 'ISO time, or a duration ago: 30m, 2h, 7d')
    .option('--until <time>', 'ISO time, or a duration ago')
    .option('--limit <n>', 'at most this many (1-1000)', positiveInt(1), 50)
    .option('--json', 'print the API answer as JSON');
  withConnection(defaultOf(deliveries, search)).action(
    async (_unknown: undefined, options: SearchOptions) => {
      const answer = await new AdminClient(options).get(DeliveryList, '/deliveries', {
        destination: options.destination,
        status: options.status,
        profile: profileFilter(options),
        q: options.text,
        since: options.since === undefined ? undefined : resolveTime('--since', options.since),
        until: options.until === undefined ? undefined : resolveTime('--until', options.until),
        limit: options.limit,
      });
      if (options.json) return printJson(answer);
      printLines(deliveryTable(answer.deliveries));
    },
  );
}

/** `--user u1` is `userId:u1`, `--email e` is `email:e`; `--profile` is a profile id. */
function profileFilter(options: SearchOptions): string | undefined {
  const given = [
    options.user === undefined ? undefined : `userId:${options.user}`,
    options.email === undefined ? undefined : `email:${options.email}`,
    options.profile,
  ].filter((value) => value !== undefined);
  if (given.length > 1) throw new UsageError('give at most one of --user, --email or --profile');
  return given[0];
}

export function deliveryTable(rows: DeliveryRow[]): string[] {
  if (rows.length === 0) return ['no deliveries match'];
  return table(
    [
      { header: 'TIME' },
      { header: 'DESTINATION' },
      { header: 'STATUS' },
      { header: 'ITEMS', align: 'right' },
      { header: 'LATENCY', align: 'right' },
      { header: 'OUTCOME' },
    ],
    rows.map((row) => [
      formatTime(row.at),
      row.destination,
      row.attempt > 1 ? `${row.status} (try ${row.attempt})` : row.status,
      String(row.items),
      `${Math.round(row.latencyMs)} ms`,
      row.outcome,
    ]),
  );
}
