import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { REPO_ROOT } from '../helpers/relay-process.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import type { HostileCase } from './hostile-cases.js';
import { addCase, findCaseError, rootWithCase, RUNNABLE_CASES, type CaseRoot } from './hostile-setup.js';

/**
 * `audience-relay validate` answers every hostile file with its file:line error and exits 1,
 * without hanging; what it accepts the relay accepts (the same loader, model files included).
 * A process start is slow, so the cases share runs: all at once, then the ones a run did not
 * reach (checks across files run only once every file is valid on its own), until none is left.
 */

async function validateTogether(cases: HostileCase[]): Promise<{ answered: HostileCase[]; output: string }> {
  const root = makeTempDir('relay-validate-');
  cpSync(join(REPO_ROOT, 'mappings'), join(root, 'mappings'), { recursive: true });
  cpSync(join(REPO_ROOT, 'models'), join(root, 'models'), { recursive: true });
  const added: CaseRoot[] = [];
  try {
    for (const hostile of cases) added.push(addCase(root, hostile));
    const result = await runCli(['validate', join(root, 'mappings')]);
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^\d+ error\(s\); nothing was loaded$/);
    const answered = cases.filter((hostile, i) => findCaseError(lines, added[i]?.entry ?? '', hostile));
    return { answered, output: result.stderr };
  } finally {
    for (const setup of added) await setup.remove();
    removeTempDir(root);
  }
}

describe('audience-relay validate on hostile mapping files', () => {
  it('prints each one as file:line and exits 1, without hanging', async () => {
    let pending = [...RUNNABLE_CASES];
    let rounds = 0;
    while (pending.length > 0) {
      rounds++;
      const { answered, output } = await validateTogether(pending);
      if (answered.length === 0) {
        // Not answered even alone: report the first one's output.
        const [first] = pending;
        expect.fail(`${first?.name} was not answered with its error:\n${output}`);
      }
      pending = pending.filter((hostile) => !answered.includes(hostile));
    }
    expect(rounds).toBeLessThanOrEqual(3);
  }, 180_000);

  it('answers --json with every error as a value', async () => {
    const hostile = RUNNABLE_CASES.find((c) => c.entry === 'model.yaml');
    if (!hostile) throw new Error('the model case is missing');
    const setup = rootWithCase(hostile, 'relay-validate-');
    try {
      const result = await runCli(['validate', setup.mappingsDir, '--json']);
      expect(result.code).toBe(1);
      const output = JSON.parse(result.stdout) as { ok: boolean; errors: { file: string; line: number }[] };
      expect(output.ok).toBe(false);
      expect(output.errors).toContainEqual(
        expect.objectContaining({
          file: setup.entry,
          line: hostile.line,
          path: 'traits.p_broken.model.file',
        }),
      );
    } finally {
      await setup.dispose();
    }
  }, 60_000);

  it('accepts ${NAME} inside flow mappings (it was a cascade of parser errors)', async () => {
    const root = makeTempDir('relay-validate-');
    try {
      const mappingsDir = join(root, 'mappings');
      cpSync(join(REPO_ROOT, 'mappings'), mappingsDir, { recursive: true });
      cpSync(join(REPO_ROOT, 'models'), join(root, 'models'), { recursive: true });
      writeFileSync(
        join(mappingsDir, 'flow.yaml'),
        'destinations:\n  braze_flow:\n    type: braze\n' +
          '    settings: { endpoint: ${FLOW_ENDPOINT:-http://127.0.0.1:4101}, api_key: ${FLOW_KEY} }\n',
      );
      const result = await runCli(['validate', mappingsDir], { FLOW_KEY: 'flow-key-123' });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const files = readdirSync(mappingsDir).filter((name) => /\.ya?ml$/.test(name)).length;
      expect(result.stdout).toBe(`ok: ${files} file(s) in ${mappingsDir} are valid\n`);
    } finally {
      removeTempDir(root);
    }
  }, 60_000);
});
