import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from './errors.js';

/** A commander option parser for whole numbers of at least `min`. */
export function positiveInt(min: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
    }
    return value;
  };
}

/** For repeatable or variadic options (`--id 1 2 --id 3`): each value parsed and collected. */
export function collectInts(text: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), positiveInt(1)(text)];
}

/**
 * For the default subcommand of a group (made with `{ isDefault: true }`: `audiences` runs `audiences
 * list`): an operand it does not take is the error it is, `audiences bogus` names an unknown command
 * of `audiences` instead of "too many arguments for list". Its action receives that operand first
 * (always undefined).
 */
export function defaultOf(group: Command, command: Command): Command {
  return command
    .argument('[command]')
    .usage('[options]')
    .hook('preAction', (_hooked, action) => {
      const [operand] = action.args;
      if (action !== command || operand === undefined) return;
      const names = group.commands.map((sub) => sub.name()).join(', ');
      throw new UsageError(`unknown command '${operand}' for '${group.name()}' (its commands: ${names})`);
    });
}
