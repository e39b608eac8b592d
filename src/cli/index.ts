import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { mappingsJsonSchemaText } from '../mappings/json-schema.js';
import { DESTINATIONS } from '../destinations/registry.js';
import { formatConfigError, loadMappings } from '../mappings/load.js';
import { registerAudiences } from './commands/audiences.js';
import { registerDeadLetters } from './commands/dead-letters.js';
import { registerDeliveries } from './commands/deliveries.js';
import { registerExplain } from './commands/explain.js';
import { registerFakes } from './commands/fakes.js';
import { registerMatches } from './commands/matches.js';
import { registerProfile } from './commands/profile.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerReload } from './commands/reload.js';
import { registerStatus } from './commands/status.js';
import { CliError } from './errors.js';

/** `audience-relay`: the operator's command line. */
export function buildCli(): Command {
  const program = new Command('audience-relay').description('Live audiences from Segment/RudderStack events');

  program
    .command('validate')
    .description('validate the mapping files (every error with file:line:column and path)')
    .argument('[dir]', 'mappings directory', process.env.MAPPINGS_DIR ?? 'mappings')
    .option('--json', 'print the result as JSON')
    .action((dir: string, options: { json?: boolean }) => {
      const result = loadMappings(dir, process.env, DESTINATIONS);
      if (options.json) {
        const output = result.ok
          ? { ok: true, files: result.files, sources: Object.keys(result.config.sources) }
          : { ok: false, files: result.files, errors: result.errors };
        process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
      } else if (result.ok) {
        process.stdout.write(`ok: ${result.files.length} file(s) in ${dir} are valid\n`);
      } else {
        process.stderr.write(`${result.errors.map(formatConfigError).join('\n')}\n`);
        process.stderr.write(`${result.errors.length} error(s); nothing was loaded\n`);
      }
      process.exitCode = result.ok ? 0 : 1;
    });

  program
    .command('schema')
    .description('print the JSON Schema of mapping files (for editor autocompletion)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action((options: { out?: string }) => {
      const text = mappingsJsonSchemaText();
      if (options.out) writeFileSync(options.out, text);
      else process.stdout.write(text);
    });

  // Commands that ask a running relay (its admin API: --url / RELAY_URL, --token / ADMIN_TOKEN).
  registerAudiences(program);
  registerExplain(program);
  registerProfile(program);
  registerDeliveries(program);
  registerDeadLetters(program);
  registerMatches(program);
  registerStatus(program);
  registerReload(program);
  registerRebuild(program);
  registerFakes(program);
  return program;
}

try {
  await buildCli().parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  process.stderr.write(`audience-relay: ${error.message}\n`);
  process.exitCode = 1;
}
