import type { Command } from 'commander';
import { DESTINATIONS } from '../../destinations/registry.js';
import { formatConfigError, loadMappings } from '../../mappings/load.js';
import { currentIo, setExitCode } from '../io.js';
import { printErrorLines, printJson, printLines } from '../output.js';

/**
 * `validate [dir]`: the mapping files checked locally with the relay's own loader, every error with
 * file:line:column. A directory that is missing, is a file, or holds no mapping file is an error
 * naming it (exit 1): the relay refuses to start on it too.
 */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate the mapping files (every error with file:line:column and path)')
    .argument('[dir]', 'mappings directory (env MAPPINGS_DIR, default mappings)')
    .option('--json', 'print the result as JSON')
    .action((given: string | undefined, options: { json?: boolean }) => {
      const env = currentIo().env;
      const dir = given ?? (env.MAPPINGS_DIR || 'mappings');
      const loaded = loadMappings(dir, env, DESTINATIONS);
      const result =
        loaded.ok && loaded.files.length === 0
          ? {
              ok: false as const,
              files: [],
              errors: [
                {
                  file: dir,
                  line: 1,
                  column: 1,
                  path: '',
                  message: 'no mapping files (*.yaml, *.yml) in this directory',
                },
              ],
            }
          : loaded;
      setExitCode(result.ok ? 0 : 1);
      if (options.json) {
        return printJson(
          result.ok
            ? { ok: true, files: result.files, sources: Object.keys(result.config.sources) }
            : { ok: false, files: result.files, errors: result.errors },
        );
      }
      if (result.ok) return printLines([`ok: ${result.files.length} file(s) in ${dir} are valid`]);
      printErrorLines([
        ...result.errors.map(formatConfigError),
        `${result.errors.length} error(s); nothing was loaded`,
      ]);
    });
}
