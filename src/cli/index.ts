import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { mappingsJsonSchemaText } from '../mappings/json-schema.js';
import { DESTINATIONS } from '../destinations/registry.js';
import { formatConfigError, loadMappings } from '../mappings/load.js';

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

  return program;
}

await buildCli().parseAsync(process.argv);
