import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where a CLI run writes and what environment it reads: the process's for `audience-relay`, captured
 * buffers for tests that run commands in-process. Commands reach it through `currentIo()`, so a
 * command module needs nothing passed in.
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

interface RunState extends CliIo {
  exitCode: number;
}

const storage = new AsyncLocalStorage<RunState>();

export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
  };
}

/** Runs `run` with `io` as the current output; resolves with the exit code a command may have set. */
export async function withIo(io: CliIo, run: () => Promise<void>): Promise<number> {
  const state: RunState = { ...io, exitCode: 0 };
  await storage.run(state, run);
  return state.exitCode;
}

/** The running command's output and environment (the process's outside a run). */
export function currentIo(): CliIo {
  return storage.getStore() ?? processIo();
}

/**
 * For a command that reported its failure itself (e.g. a refused reload, printed in full): the run
 * ends with this exit code instead of 0.
 */
export function setExitCode(code: number): void {
  const state = storage.getStore();
  if (state) state.exitCode = code;
  else process.exitCode = code;
}
