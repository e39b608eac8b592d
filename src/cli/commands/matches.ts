import type { Command } from 'commander';
import { MatchView } from '../../admin/api-schema.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { formatTime, printJson, printLines, table } from '../output.js';

interface MatchOptions extends ConnectionOptions {
  json?: boolean;
}

/** `matches`: per ad platform and audience, what it holds, what was sent and what it reported. */
export function registerMatches(program: Command): void {
  withConnection(
    program
      .command('matches')
      .description(
        'ad platforms: the audience size we believe each holds, adds/removes sent, invalid entries, async results',
      )
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: MatchOptions) => {
    const answer = await new AdminClient(options).get(MatchView, '/matches');
    if (options.json) return printJson(answer);
    printLines(matchLines(answer));
  });
}

export function matchLines(view: MatchView): string[] {
  if (view.matches.length === 0) return ['no ad-platform destination is configured'];
  const lines = table(
    [
      { header: 'destination' },
      { header: 'audience' },
      { header: 'held', align: 'right' },
      { header: 'added', align: 'right' },
      { header: 'removed', align: 'right' },
      { header: 'invalid', align: 'right' },
      { header: 'last result' },
    ],
    view.matches.map((match) => {
      const last = match.recent.find((request) => request.asyncStatus !== undefined) ?? match.recent[0];
      const result = last
        ? `${formatTime(last.at)} ${last.status}${last.asyncStatus ? ` ${last.asyncStatus}` : last.asyncState === 'pending' ? ' (result pending)' : ''}`
        : '-';
      return [
        `${match.destination}${match.enabled ? '' : ' (off)'}`,
        match.audience,
        String(match.held),
        String(match.added),
        String(match.removed),
        String(match.invalidEntries),
        result,
      ];
    }),
  );
  const warnings = view.matches.flatMap((match) => (match.warning ? [`warning: ${match.warning}`] : []));
  return warnings.length > 0 ? [...lines, '', ...warnings] : lines;
}
