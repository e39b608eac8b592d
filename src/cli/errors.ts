/** An error the CLI reports as one line on stderr, exiting 1 (never with a stack trace). */
export class CliError extends Error {
  override readonly name: string = 'CliError';
}

/**
 * The command line itself is wrong (a missing or conflicting option, a value that cannot be one):
 * reported with a pointer to `--help`, exit code 2. Found without looking anywhere but the arguments.
 */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
}

/** Exit codes: 0 ok, 1 the command failed, 2 the command line is wrong. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
