import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { HOSTILE_CASES, type HostileCase } from './hostile-cases.js';

/** The cases this platform can build (FIFOs, sockets and /dev/zero are POSIX). */
export const RUNNABLE_CASES: HostileCase[] = HOSTILE_CASES.filter(
  (c) => !c.posix || process.platform !== 'win32',
);

export interface CaseRoot {
  root: string;
  mappingsDir: string;
  /** The bad entry's path, as errors name it. */
  entry: string;
  /** Removes the bad entry (and closes what it opened), leaving the example mappings. */
  remove: () => Promise<void>;
  /** Removes everything. */
  dispose: () => Promise<void>;
}

/** A copy of the example mappings and models under a fresh root, with the case's bad entry added. */
export function rootWithCase(hostile: HostileCase, prefix = 'relay-hostile-'): CaseRoot {
  const root = makeTempDir(prefix);
  const mappingsDir = join(root, 'mappings');
  cpSync(join(REPO_ROOT, 'mappings'), mappingsDir, { recursive: true });
  cpSync(join(REPO_ROOT, 'models'), join(root, 'models'), { recursive: true });
  return addCase(root, hostile);
}

/** Adds the case's bad entry to an existing root (whose mappings/ and models/ are in place). */
export function addCase(root: string, hostile: HostileCase): CaseRoot {
  const mappingsDir = join(root, 'mappings');
  const entry = join(mappingsDir, hostile.entry);
  const cleanup = hostile.make(mappingsDir, root);
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    await cleanup?.();
    rmSync(entry, { recursive: true, force: true });
  };
  return {
    root,
    mappingsDir,
    entry,
    remove,
    dispose: async () => {
      await remove();
      removeTempDir(root);
    },
  };
}

/** The case's error among `lines` (each `file:line:column: ...`), or undefined. */
export function findCaseError(
  lines: readonly string[],
  entry: string,
  hostile: HostileCase,
): string | undefined {
  const prefix = `${entry}:${hostile.line}:`;
  return lines.find(
    (line) =>
      line.startsWith(prefix) &&
      (typeof hostile.message === 'string' ? line.includes(hostile.message) : hostile.message.test(line)),
  );
}
