import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { mappingsJsonSchemaText } from '../../mappings/json-schema.js';
import { CliError } from '../errors.js';
import { currentIo } from '../io.js';

/** `schema [-o file]`: the JSON Schema of mapping files, made locally (for editor autocompletion). */
export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of mapping files (for editor autocompletion)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('--json', 'accepted for uniformity: the schema is JSON')
    .action((options: { out?: string }) => {
      const text = mappingsJsonSchemaText();
      if (!options.out) return currentIo().stdout(text);
      try {
        writeFileSync(options.out, text);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        throw new CliError(`--out: cannot write ${options.out} (${code})`);
      }
    });
}
