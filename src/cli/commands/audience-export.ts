import { Option, type Command } from 'commander';
import { closeSync, openSync, writeSync } from 'node:fs';
import { EXPORT_IDENTIFIERS, PLATFORMS, type ExportIdentifier } from '../../admin/api-schema.js';
import { AdminClient, withConnection, type ConnectionOptions } from '../admin-client.js';
import { CliError, UsageError } from '../errors.js';
import { currentIo } from '../io.js';
import { plural } from '../output.js';

interface ExportOptions extends ConnectionOptions {
  identifiers: ExportIdentifier[];
  hash?: string;
  raw?: boolean;
  out?: string;
}

/**
 * `audiences export <name> --identifiers email,phone --hash meta`: an audience's members as CSV for
 * platforms without an API, each identifier normalised and hashed by the platform's rules; raw values
 * only with `--raw`.
 */
export function registerAudienceExport(audiences: Command): void {
  withConnection(
    audiences
      .command('export')
      .description("an audience's members as CSV: chosen identifiers, hashed per platform (or --raw)")
      .argument('<name>', 'audience name')
      .requiredOption(
        '--identifiers <list>',
        `columns, comma-separated: ${EXPORT_IDENTIFIERS.join(', ')}`,
        identifierList,
      )
      .addOption(
        new Option('--hash <platform>', "normalise and hash as this platform's upload wants").choices(
          PLATFORMS,
        ),
      )
      .option('--raw', 'raw identifiers, unhashed (personal data: handle the file accordingly)')
      .option('-o, --out <file>', 'write the CSV to a file instead of stdout'),
  ).action(async (name: string, options: ExportOptions) => {
    if ((options.hash === undefined) === (options.raw === undefined)) {
      throw new UsageError('give --hash <platform> for hashed identifiers, or --raw for raw ones');
    }
    const client = new AdminClient(options);
    const query = {
      identifiers: options.identifiers.join(','),
      hash: options.hash,
      raw: options.raw ? 'true' : undefined,
    };
    const path = `/audiences/${encodeURIComponent(name)}/export`;
    if (!options.out) return client.download(path, query, currentIo().stdout);
    const rows = await downloadToFile(client, path, query, options.out);
    currentIo().stderr(`exported ${plural(rows, 'member')} of ${name} to ${options.out}\n`);
  });
}

function identifierList(text: string): ExportIdentifier[] {
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(EXPORT_IDENTIFIERS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(
      `--identifiers: ${unknown.join(', ') || '(none)'} is not one of ${EXPORT_IDENTIFIERS.join(', ')}`,
    );
  }
  return names as ExportIdentifier[];
}

/** Streams the CSV into `file`; resolves with the rows written (the header not counted). */
async function downloadToFile(
  client: AdminClient,
  path: string,
  query: Record<string, string | undefined>,
  file: string,
): Promise<number> {
  let fd: number;
  try {
    fd = openSync(file, 'w', 0o600);
  } catch (error) {
    throw new CliError(`--out: cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  let lines = 0;
  try {
    await client.download(path, query, (text) => {
      lines += text.split('\n').length - 1;
      writeSync(fd, text);
    });
  } finally {
    closeSync(fd);
  }
  return Math.max(0, lines - 1);
}
