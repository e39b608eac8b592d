import type { Command } from 'commander';
import { closeSync, openSync, writeSync } from 'node:fs';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { CliError } from '../errors.js';
import { currentIo } from '../io.js';

interface TrainingExportOptions extends ConnectionOptions {
  cutoff: string;
  label: string;
  out?: string;
}

/**
 * `training-export --cutoff <ISO time> --label "Order Completed within 30d" [--out file.csv]`: per
 * person, every trait as it was at the cutoff (recomputed from the event log) and the label from the
 * events after it, as CSV (docs/training-export.md).
 */
export function registerTrainingExport(program: Command): void {
  withConnection(
    program
      .command('training-export')
      .description('training data: traits as they were at --cutoff, the label from events after it (CSV)')
      .requiredOption('--cutoff <time>', 'an ISO time such as 2025-05-01T00:00:00Z')
      .requiredOption(
        '--label <label>',
        '"<Event Name> within <duration>", such as "Order Completed within 30d"',
      )
      .option('-o, --out <file>', 'write the CSV to a file instead of stdout'),
  ).action(async (options: TrainingExportOptions) => {
    const client = new AdminClient(options);
    const query = { cutoff: options.cutoff, label: options.label };
    if (!options.out) return client.download('/training-export', query, currentIo().stdout);
    let fd: number;
    try {
      fd = openSync(options.out, 'w', 0o600);
    } catch (error) {
      throw new CliError(
        `--out: cannot write ${options.out} (${(error as NodeJS.ErrnoException).code ?? error})`,
      );
    }
    try {
      await client.download('/training-export', query, (text) => void writeSync(fd, text));
    } finally {
      closeSync(fd);
    }
    currentIo().stderr(`training data written to ${options.out}\n`);
  });
}
