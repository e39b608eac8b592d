import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadModelFile, ModelFileError } from '../../../src/engine/models/load.js';
import { modelFeatures, predict, type Model } from '../../../src/engine/models/predict.js';
import { makeTempDir, removeTempDir } from '../../helpers/temp-dir.js';

/**
 * One runner for every case in cases/*.json. A case gives a model (inline `model`, raw `model_text`,
 * or `model_file` relative to the repository root) and either feature vectors with outputs computed
 * by hand (`why` shows the arithmetic) or the exact errors, without the file prefix. An expected
 * error ending in "..." matches as a prefix.
 */

const TOLERANCE = 1e-4;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));

const Expectation = z.strictObject({
  features: z.record(z.string(), z.number().nullable()),
  expected: z.number(),
  why: z.string().min(1),
});

const Case = z
  .strictObject({
    name: z.string().min(1),
    model: z.unknown().optional(),
    model_text: z.string().optional(),
    model_file: z.string().optional(),
    features_read: z.array(z.string()).optional(),
    expect: z.array(Expectation).min(1).optional(),
    expect_errors: z.array(z.string()).min(1).optional(),
  })
  .refine((c) => [c.model, c.model_text, c.model_file].filter((m) => m !== undefined).length === 1, {
    message: 'give exactly one of model, model_text, model_file',
  })
  .refine((c) => (c.expect === undefined) !== (c.expect_errors === undefined), {
    message: 'give exactly one of expect, expect_errors',
  });
type Case = z.infer<typeof Case>;

const tempDir = makeTempDir('relay-models-');
afterAll(() => removeTempDir(tempDir));

/** The path loadModelFile is given: the repository file, or the inline model written to a temp file. */
function modelPath(file: string, testCase: Case): string {
  if (testCase.model_file !== undefined) return join(repoRoot, testCase.model_file);
  const path = join(tempDir, file);
  writeFileSync(path, testCase.model_text ?? JSON.stringify(testCase.model, null, 2));
  return path;
}

function withoutNulls(features: Record<string, number | null>): Record<string, number | undefined> {
  return Object.fromEntries(Object.entries(features).map(([name, value]) => [name, value ?? undefined]));
}

function loadError(path: string): ModelFileError {
  try {
    loadModelFile(path);
  } catch (error) {
    if (error instanceof ModelFileError) return error;
    throw error;
  }
  throw new Error(`${path} loaded without errors`);
}

/** Every expected error appears once, in any order, and nothing else. */
function expectErrors(path: string, expected: readonly string[]): void {
  const error = loadError(path);
  const unmatched = error.message.split('\n');
  expect(error.issues).toHaveLength(unmatched.length);
  for (const want of expected) {
    const full = `${path}: ${want}`;
    const matches = (line: string) =>
      want.endsWith('...') ? line.startsWith(full.slice(0, -3)) : line === full;
    const index = unmatched.findIndex(matches);
    expect(index, `missing "${want}" in:\n${error.message}`).toBeGreaterThanOrEqual(0);
    unmatched.splice(index, 1);
  }
  expect(unmatched, 'unexpected errors').toEqual([]);
}

function expectOutputs(model: Model, testCase: Case): void {
  for (const vector of testCase.expect ?? []) {
    const output = predict(model, withoutNulls(vector.features));
    const off = Math.abs(output - vector.expected);
    expect(off, `${JSON.stringify(vector.features)}: got ${output}; ${vector.why}`).toBeLessThan(TOLERANCE);
  }
}

const files = readdirSync(casesDir)
  .filter((name) => name.endsWith('.json'))
  .sort();

describe('model cases', () => {
  it('finds the case files', () => expect(files.length).toBeGreaterThan(0));

  for (const file of files) {
    const testCase = Case.parse(JSON.parse(readFileSync(join(casesDir, file), 'utf8')));
    it(`${file}: ${testCase.name}`, () => {
      const path = modelPath(file, testCase);
      if (testCase.expect_errors) return expectErrors(path, testCase.expect_errors);
      const model = loadModelFile(path);
      if (testCase.features_read) expect(modelFeatures(model)).toEqual(testCase.features_read);
      expectOutputs(model, testCase);
    });
  }
});
