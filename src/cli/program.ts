import { Command, CommanderError } from 'commander';
import { DEFAULT_RELAY_URL, RELAY_URL_ENV, ADMIN_TOKEN_ENV } from './admin-client.js';
import { registerAudiences } from './commands/audiences.js';
import { registerBudget } from './commands/budget.js';
import { registerDeadLetters } from './commands/dead-letters.js';
import { registerDeliveries } from './commands/deliveries.js';
import { registerExplain } from './commands/explain.js';
import { registerFakes } from './commands/fakes.js';
import { registerMatches } from './commands/matches.js';
import { registerProfile } from './commands/profile.js';
import { registerRebuild } from './commands/rebuild.js';
import { registerReload } from './commands/reload.js';
import { registerSchema } from './commands/schema.js';
import { registerScores } from './commands/scores.js';
import { registerStatus } from './commands/status.js';
import { registerTrainingExport } from './commands/training-export.js';
import { registerValidate } from './commands/validate.js';
import { CliError, EXIT, UsageError } from './errors.js';
import { withIo, type CliIo } from './io.js';

const NAME = 'audience-relay';
const HELP_HINT = '(add --help for usage)';

/**
 * Options every command that asks a relay takes, wherever they are written: `audiences --url U
 * preview` and `audiences preview --url U` mean the same. The program takes them anywhere on the line
 * and hands them to the command that runs; a command without such an option refuses it (exit 2).
 */
const CARRIED_OPTIONS = ['url', 'token', 'json'] as const;

/** `audience-relay`: the operator's command line. */
export function buildCli(io: CliIo): Command {
  const program = new Command(NAME)
    .description('Live audiences from Segment/RudderStack events')
    .option('--url <url>', `relay base URL (env ${RELAY_URL_ENV}, default ${DEFAULT_RELAY_URL})`)
    .option('--token <token>', `admin API token (env ${ADMIN_TOKEN_ENV})`)
    .option('--json', 'print the answer as JSON (read commands)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError(HELP_HINT)
    .hook('preAction', (_program, command) => carryOptions(command));

  // Local: the mapping files and the fake destinations.
  registerValidate(program);
  registerSchema(program);
  registerFakes(program);
  // Commands that ask a running relay (its admin API: --url / RELAY_URL, --token / ADMIN_TOKEN).
  registerAudiences(program);
  registerExplain(program);
  registerProfile(program);
  registerDeliveries(program);
  registerDeadLetters(program);
  registerMatches(program);
  registerBudget(program);
  registerScores(program);
  registerTrainingExport(program);
  registerStatus(program);
  registerReload(program);
  registerRebuild(program);
  return program;
}

/**
 * Runs one command line (`argv` without node and the script) and resolves with its exit code:
 * 0 ok, 1 the command failed (one line on stderr), 2 the command line is wrong.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const exitCode = await withIo(io, async () => {
    try {
      await buildCli(io).parseAsync(argv, { from: 'user' });
    } catch (error) {
      code = reportError(error, io);
    }
  });
  return code === EXIT.ok ? exitCode : code;
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // Commander has printed the problem (and the hint); help asked for is a success.
    // (`help` and `--help` exit 0; a bare group or program prints its help as an error.)
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof UsageError) {
    io.stderr(`${NAME}: ${error.message}\n${HELP_HINT}\n`);
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    io.stderr(`${NAME}: ${error.message}\n`);
    return EXIT.failure;
  }
  // A bug: its stack is what it takes to fix it.
  io.stderr(
    `${NAME}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.failure;
}

/** The carried options given anywhere above `command`, set on it; refused where it has no such option. */
function carryOptions(command: Command): void {
  for (let holder = command.parent; holder; holder = holder.parent) {
    for (const key of CARRIED_OPTIONS) {
      if (holder.getOptionValueSource(key) !== 'cli') continue;
      if (!command.options.some((option) => option.attributeName() === key)) {
        throw new UsageError(`--${key} does not apply to ${commandPath(command)}`);
      }
      if (command.getOptionValueSource(key) !== 'cli') {
        command.setOptionValueWithSource(key, holder.getOptionValue(key), 'cli');
      }
    }
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}
