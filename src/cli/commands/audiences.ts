import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { AudienceList, MemberList, PreviewResult, type AudienceSummary } from '../../admin/api-schema.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { UsageError } from '../errors.js';
import { formatTime, plural, printJson, printLines, table } from '../output.js';
import { defaultOf, positiveInt } from '../parse.js';
import { registerAudienceExport } from './audience-export.js';

interface JsonOption extends ConnectionOptions {
  json?: boolean;
}

/** `audiences [list]`, `audiences preview`, `audiences members`, `audiences export`. */
export function registerAudiences(program: Command): void {
  const audiences = program
    .command('audiences')
    .description('audiences: sizes and trends, rule previews, members, CSV exports');

  withConnection(
    defaultOf(
      audiences,
      audiences
        .command('list', { isDefault: true })
        .description('audiences with their size, last trend point and backfill status (the default)')
        .option('--json', 'print the API answer as JSON'),
    ),
  ).action(async (_unknown: undefined, options: JsonOption) => {
    const answer = await new AdminClient(options).get(AudienceList, '/audiences');
    if (options.json) return printJson(answer);
    printLines(audienceTable(answer.audiences));
  });

  withConnection(
    audiences
      .command('preview')
      .description('what a rule would hold now, without enabling it')
      .requiredOption('--rule <rule>', "the condition as JSON or YAML, e.g. '{trait: lead_score, gt: 80}'")
      .option('--sample <n>', 'profiles to list (0-200)', positiveInt(0), 20)
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: JsonOption & { rule: string; sample: number }) => {
    const rule = parseRule(options.rule);
    const answer = await new AdminClient(options).post(PreviewResult, '/audiences/preview', {
      rule,
      sample: options.sample,
    });
    if (options.json) return printJson(answer);
    printLines(previewLines(answer));
  });

  withConnection(
    audiences
      .command('members')
      .description('profile ids in an audience')
      .argument('<name>', 'audience name')
      .option('--limit <n>', 'at most this many (1-1000)', positiveInt(1), 50)
      .option('--json', 'print the API answer as JSON'),
  ).action(async (name: string, options: JsonOption & { limit: number }) => {
    const answer = await new AdminClient(options).get(
      MemberList,
      `/audiences/${encodeURIComponent(name)}/members`,
      { limit: options.limit },
    );
    if (options.json) return printJson(answer);
    printLines(answer.members.length > 0 ? answer.members : [`no members in ${answer.audience}`]);
  });

  registerAudienceExport(audiences);
}

export function audienceTable(audiences: AudienceSummary[]): string[] {
  if (audiences.length === 0) return ['no audiences configured'];
  return table(
    [
      { header: 'AUDIENCE' },
      { header: 'SIZE', align: 'right' },
      { header: 'TREND (last point)' },
      { header: 'BACKFILL' },
    ],
    audiences.map((audience) => {
      const last = audience.trend[audience.trend.length - 1];
      const backfill = audience.backfill;
      return [
        audience.name,
        String(audience.size),
        last ? `${last.size} at ${formatTime(last.at)}` : '-',
        !backfill
          ? '-'
          : backfill.status === 'ready'
            ? 'ready'
            : `${backfill.status} ${backfill.done}/${backfill.total}`,
      ];
    }),
  );
}

function previewLines(answer: PreviewResult): string[] {
  const lines = [`${answer.size} of ${plural(answer.evaluated, 'profile')} match`];
  if (answer.sample.length === 0) return lines;
  const rows = answer.sample.map((entry) => [
    entry.profileId,
    entry.identifiers.map((ref) => `${ref.kind}:${ref.value}`).join(', '),
  ]);
  return [...lines, '', ...table([{ header: 'PROFILE' }, { header: 'IDENTIFIERS' }], rows)];
}

/** The rule as written in a mapping file; YAML flow style covers JSON. */
function parseRule(text: string): unknown {
  try {
    const rule: unknown = parseYaml(text);
    if (typeof rule !== 'object' || rule === null) throw new Error('expected a condition object');
    return rule;
  } catch (error) {
    throw new UsageError(
      `--rule: not a JSON or YAML condition: ${(error as Error).message.split('\n')[0]?.replace(/:$/, '')}`,
    );
  }
}
