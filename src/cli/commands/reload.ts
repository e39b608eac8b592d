import type { Command } from 'commander';
import { ReloadResult } from '../../admin/api-schema.js';
import { formatConfigError } from '../../mappings/load.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { setExitCode } from '../io.js';
import { formatTime, plural, printErrorLines, printJson, printLines } from '../output.js';

/** `reload`: the relay reloads its mapping files; a refused reload keeps the last good configuration. */
export function registerReload(program: Command): void {
  withConnection(
    program
      .command('reload')
      .description('reload the mapping files now (errors as file:line:column: path: message)')
      .option('--json', 'print the API answer as JSON'),
  ).action(async (options: ConnectionOptions & { json?: boolean }) => {
    const result = await new AdminClient(options).post(ReloadResult, '/config/reload', undefined, [422]);
    setExitCode(result.ok ? 0 : 1);
    if (options.json) return printJson(result);
    if (result.ok) {
      return printLines([`reloaded ${plural(result.files.length, 'file')} at ${formatTime(result.at)}`]);
    }
    printErrorLines([
      ...result.errors.map(formatConfigError),
      `reload refused: ${plural(result.errors.length, 'error')}; the relay keeps its last good configuration`,
    ]);
  });
}
