import { InvalidArgumentError } from 'commander';

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
