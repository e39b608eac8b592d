import type { Command } from 'commander';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import type { ReloadResult } from '../api-types.js';
import { formatConfigError } from '../../mappings/load.js';
import { formatTime, plural, printJson } from '../output.js';

/** `reload`: the relay reloads its mapping files; a refused reload keeps the last good configuration. */
export function registerReload(program: Command): void {
  withConnection(
    program
      .command('reload')
      .description('reload the mapping files now (errors as file:line:column: path: message)')
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: ConnectionOptions & { json?: boolean }) => {
    const result = await new AdminClient(options).post<ReloadResult>('/config/reload', undefined, [422]);
    process.exitCode = result.ok ? 0 : 1;
    if (options.json) return printJson(result);
    if (result.ok) {
      process.stdout.write(`reloaded ${plural(result.files.length, 'file')} at ${formatTime(result.at)}\n`);
      return;
    }
    process.stderr.write(`${result.errors.map(formatConfigError).join('\n')}\n`);
    process.stderr.write(
      `reload refused: ${plural(result.errors.length, 'error')}; the relay keeps its last good configuration\n`,
    );
  });
}
