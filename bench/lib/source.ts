import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the servers under test are started from. */
export interface SourceTree {
  root: string;
  /** What is measured: "working tree" or the commit a ref resolved to. */
  description: string;
  cleanup: () => void;
}

/** The benchmark's own servers always come from the working tree. */
const BENCH_SERVERS = ['bench/baseline-server.ts', 'bench/relay-intake-only.ts'];

/**
 * The working tree, or (BENCH_REF=HEAD, a branch or a commit) a snapshot of that commit in a temp
 * directory, so a benchmark is not disturbed by files being edited while it runs.
 */
export function prepareSource(repoRoot: string, ref: string | undefined): SourceTree {
  if (ref === undefined) return { root: repoRoot, description: 'working tree', cleanup: () => {} };
  const commit = git(repoRoot, 'rev-parse', '--verify', `${ref}^{commit}`).toString('utf8').trim();
  const root = mkdtempSync(join(tmpdir(), 'relay-bench-src-'));
  // The whole commit (mappings refer to models/ and so on); node_modules is shared with the working tree.
  const archive = git(repoRoot, 'archive', '--format=tar', commit);
  execFileSync('tar', ['-x', '-C', root], { input: archive });
  mkdirSync(join(root, 'bench'), { recursive: true });
  for (const file of BENCH_SERVERS) cpSync(join(repoRoot, file), join(root, file));
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  return {
    root,
    description: `${ref} = ${commit}`,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

function git(cwd: string, ...args: string[]): Buffer {
  return execFileSync('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 });
}
