import type { Command } from 'commander';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { DeadLetterList, ReplayResult, type DeadLetter } from '../../admin/api-schema.js';
import { UsageError } from '../errors.js';
import { formatTime, formatValue, plural, printJson, printLines, table } from '../output.js';
import { collectInts, positiveInt } from '../parse.js';

interface ListOptions extends ConnectionOptions {
  destination?: string;
  limit: number;
  replayed?: boolean;
  json?: boolean;
}

interface ReplayOptions extends ConnectionOptions {
  destination?: string;
  id?: number[];
  all?: boolean;
  json?: boolean;
}

/** `dead-letters` (list) and `replay` (send them again). */
export function registerDeadLetters(program: Command): void {
  withConnection(
    program
      .command('dead-letters')
      .description('changes a destination refused for good, newest first')
      .option('--destination <name>', 'only this destination')
      .option('--limit <n>', 'at most this many (1-1000)', positiveInt(1), 100)
      .option('--replayed', 'include those already replayed')
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: ListOptions) => {
    const answer = await new AdminClient(options).get(DeadLetterList, '/dead-letters', {
      destination: options.destination,
      limit: options.limit,
      replayed: options.replayed ? 'true' : undefined,
    });
    if (options.json) return printJson(answer);
    printLines(deadLetterTable(answer.deadLetters));
  });

  withConnection(
    program
      .command('replay')
      .description('queue dead letters for delivery again (one of --destination, --id, --all)')
      .option(
        '--destination <name>',
        "every dead letter of this destination (with --id: only this destination's)",
      )
      .option('--id <ids...>', 'these dead letter ids', collectInts)
      .option('--all', 'every dead letter of every destination')
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: ReplayOptions) => {
    const answer = await new AdminClient(options).post(
      ReplayResult,
      '/dead-letters/replay',
      replayBody(options),
    );
    if (options.json) return printJson(answer);
    printLines([`replayed ${plural(answer.replayed, 'dead letter')}`]);
  });
}

function replayBody(options: ReplayOptions): { ids?: number[]; destination?: string } {
  if (!options.destination && !options.id && !options.all) {
    throw new UsageError('replay needs --destination, --id or --all');
  }
  if (options.all && (options.destination || options.id)) {
    throw new UsageError('--all replays everything: leave out --destination and --id');
  }
  return {
    ...(options.id ? { ids: options.id } : {}),
    ...(options.destination ? { destination: options.destination } : {}),
  };
}

function deadLetterTable(letters: DeadLetter[]): string[] {
  if (letters.length === 0) return ['no dead letters'];
  return table(
    [
      { header: 'ID', align: 'right' },
      { header: 'DEAD AT' },
      { header: 'DESTINATION' },
      { header: 'PROFILE' },
      { header: 'TRIES', align: 'right' },
      { header: 'CHANGE' },
      { header: 'REASON' },
    ],
    letters.map((letter) => [
      String(letter.id),
      formatTime(letter.deadAt) + (letter.replayedAt === null ? '' : ' (replayed)'),
      letter.destination,
      letter.profileId,
      String(letter.attempts),
      changeSummary(letter),
      formatValue(letter.reason.replace(/\s+/g, ' '), 200),
    ]),
  );
}

function changeSummary(letter: DeadLetter): string {
  const audiences = Object.entries(letter.change.audiences).map(
    ([name, member]) => `${member ? '+' : '-'}${name}`,
  );
  const traits = Object.keys(letter.change.traits);
  return formatValue([...audiences, ...traits].join(' '), 40) || '-';
}
