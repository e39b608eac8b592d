import type { Command } from 'commander';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { ProfileView } from '../../admin/api-schema.js';
import { identityQuery, withIdentity, type IdentityOptions } from '../identity.js';
import { formatTime, formatValue, keyValues, printJson, printLines, table } from '../output.js';
import { positiveInt } from '../parse.js';

type ProfileOptions = ConnectionOptions &
  IdentityOptions & { events: number; history: number; json?: boolean };

/** `profile --user ID`: identifiers, traits, memberships and their history, last events, merges. */
export function registerProfile(program: Command): void {
  withConnection(
    withIdentity(
      program
        .command('profile')
        .description('a profile: identifiers, traits, memberships and their history, last events, merges'),
    )
      .option('--events <n>', 'last events to show', positiveInt(0), 10)
      .option('--history <n>', 'last membership changes to show', positiveInt(0), 10)
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: ProfileOptions) => {
    const answer = await new AdminClient(options).get(ProfileView, '/profiles', identityQuery(options));
    if (options.json) return printJson(answer);
    printLines(profileLines(answer, options));
  });
}

function profileLines(view: ProfileView, { events, history }: { events: number; history: number }): string[] {
  const lines = [
    `profile ${view.profileId}  created ${formatTime(view.createdAt)}  updated ${formatTime(view.updatedAt)}`,
    '',
    'identifiers',
    ...keyValues(
      view.identifiers.map((ref) => [ref.kind, ref.value]),
      '  ',
    ),
    '',
    'traits',
    ...keyValues(
      Object.entries(view.traits).map(([name, value]) => [name, formatValue(value)]),
      '  ',
    ),
  ];
  lines.push('', ...membershipLines(view, history));
  const last = events === 0 ? [] : view.timeline.slice(-events);
  lines.push('', `last events (${last.length} of ${view.timeline.length} shown)`);
  if (last.length > 0) {
    const rows = last.map((event) => [
      formatTime(event.timestamp),
      event.type,
      typeof event.event === 'string' ? event.event : typeof event.name === 'string' ? event.name : '',
      event.source,
      event.messageId,
    ]);
    lines.push(
      ...indent(
        table(
          [
            { header: 'TIME' },
            { header: 'TYPE' },
            { header: 'NAME' },
            { header: 'SOURCE' },
            { header: 'MESSAGE ID' },
          ],
          rows,
        ),
      ),
    );
  }
  lines.push('', view.merges.length === 0 ? 'merges: none' : 'merges');
  for (const merge of view.merges) {
    lines.push(`  ${formatTime(merge.at)}  ${merge.mergedProfileId} -> ${merge.profileId}  ${merge.reason}`);
  }
  return lines;
}

/** Audiences in now (since when), the ones left (when, why), then the newest entries and exits. */
export function membershipLines(view: ProfileView, history: number): string[] {
  const lines = [view.memberships.length === 0 ? 'memberships: none' : 'memberships'];
  if (view.memberships.length > 0) {
    const rows = view.memberships.map((m) => [m.audience, formatTime(m.enteredAt)]);
    lines.push(...indent(table([{ header: 'AUDIENCE' }, { header: 'ENTERED AT' }], rows)));
  }
  if (view.lastExits.length > 0) {
    const rows = view.lastExits.map((exit) => [
      exit.audience,
      formatTime(exit.at),
      exit.cause,
      exit.messageId ?? '-',
    ]);
    lines.push('', 'audiences left');
    lines.push(
      ...indent(
        table(
          [{ header: 'AUDIENCE' }, { header: 'LEFT AT' }, { header: 'CAUSE' }, { header: 'MESSAGE ID' }],
          rows,
        ),
      ),
    );
  }
  const shown = history === 0 ? [] : view.membershipHistory.slice(0, history);
  lines.push('', `membership history (${shown.length} of ${view.membershipHistory.length} shown)`);
  if (shown.length > 0) {
    const rows = shown.map((change) => [
      formatTime(change.at),
      change.audience,
      change.member ? 'entered' : 'exited',
      change.cause,
      change.messageId ?? '-',
    ]);
    lines.push(
      ...indent(
        table(
          [
            { header: 'TIME' },
            { header: 'AUDIENCE' },
            { header: 'CHANGE' },
            { header: 'CAUSE' },
            { header: 'MESSAGE ID' },
          ],
          rows,
        ),
      ),
    );
  }
  return lines;
}

function indent(lines: string[]): string[] {
  return lines.map((line) => `  ${line}`);
}
