import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run bench -- --smoke` runs every section briefly. This checks that it runs to the end and
 * that the intake's store checks (bench/lib/verify.ts: every acknowledged event stored once, nothing
 * refused stored, no request half stored) pass. Timings are never asserted: they are not
 * measurements on a shared machine.
 */
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Results {
  meta: { settings: { smoke: boolean } };
  intake: {
    summary: { storeChecksOk: boolean };
    scenarios: Record<string, { store?: { ok: boolean; storedEvents: number } }>;
  };
  figures: { section: string; scenario: string; baseline?: string }[];
}

describe('benchmark smoke run', () => {
  it('runs every section and the store checks pass', { timeout: 300_000 }, async () => {
    const resultsFile = join(dir, 'results.json');
    const env: NodeJS.ProcessEnv = { ...process.env, BENCH_RESULTS: resultsFile, BENCH_DB_DIR: dir };
    for (const name of ['BENCH_ONLY', 'BENCH_SECTIONS', 'BENCH_PROFILE', 'BENCH_REF', 'BENCH_EXTRA']) {
      delete env[name];
    }
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain('every figure, with its same-run baseline');
    const results = JSON.parse(readFileSync(resultsFile, 'utf8')) as Results;
    expect(results.meta.settings.smoke).toBe(true);
    expect(results.intake.summary.storeChecksOk).toBe(true);
    const relays = Object.entries(results.intake.scenarios).filter(([id]) => id.includes('.relay'));
    expect(relays.map(([id]) => id).sort()).toEqual(['batch.relay', 'track.relay']);
    for (const [, scenario] of relays) {
      expect(scenario.store?.ok).toBe(true);
      expect(scenario.store?.storedEvents).toBeGreaterThan(0);
    }
    const sections = new Set(results.figures.map((figure) => figure.section));
    for (const section of ['intake', 'processing', 'delivery']) expect(sections).toContain(section);
    expect(results.figures.find((f) => f.scenario === 'track.relay')?.baseline).toBe('track.baseline');
  });
});
