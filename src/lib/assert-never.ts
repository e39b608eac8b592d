/** Ends an exhaustive `switch`: the compiler proves it unreachable, and a bad value at runtime is a bug. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
