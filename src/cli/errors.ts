/** An error the CLI reports as one line on stderr, exiting 1 (never with a stack trace). */
export class CliError extends Error {
  override readonly name = 'CliError';
}
