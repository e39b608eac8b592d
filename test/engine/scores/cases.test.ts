import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import {
  cutPointsFromHistogram,
  cutPointsFromSample,
  Histogram,
  histogramOf,
  populationStabilityIndex,
  scoreDrift,
  type HistogramSpec,
} from '../../../src/engine/scores/index.js';
import { describeCaseFiles } from '../../helpers/case-files.js';

/**
 * One runner for every case in cases/*.json, each with its arithmetic by hand in `explanation`:
 * - `psi`: scores as [value, times] for a reference and a current window, binned over `range`; the
 *   counts, each bin's term, the PSI (to 1e-6) and the verdict against `threshold`;
 * - `tiers`: a histogram or a sample (sorted here) and the cut points for `tiers` tiers (to 1e-6).
 */

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));
const TOLERANCE = 1e-6;

const Range = z.strictObject({ min: z.number(), max: z.number(), bins: z.number().int().min(1) });
const Scores = z.array(z.tuple([z.number(), z.number().int().min(1)]));

const PsiCase = z.strictObject({
  trait: z.string(),
  range: Range,
  threshold: z.number(),
  reference: Scores,
  current: Scores,
  expect: z.strictObject({
    referenceCounts: z.array(z.number()),
    currentCounts: z.array(z.number()),
    terms: z.array(z.number()),
    psi: z.number(),
    drifted: z.boolean(),
    message: z.string(),
  }),
});

const TiersCase = z.strictObject({
  histogram: Histogram.optional(),
  sample: z.array(z.number()).optional(),
  range: Range.optional(),
  tiers: z.number().int().min(2),
  expect: z.strictObject({
    equalMassCutPoints: z.array(z.number()),
    cutPoints: z.array(z.number()),
    bimodalityCoefficient: z.number().nullable(),
    bimodal: z.boolean(),
    valley: z.number().nullable(),
  }),
});

const Case = z
  .strictObject({
    name: z.string().min(10),
    explanation: z.string().min(20),
    psi: PsiCase.optional(),
    tiers: TiersCase.optional(),
  })
  .refine((c) => (c.psi === undefined) !== (c.tiers === undefined), 'give exactly one of psi, tiers');
type Case = z.infer<typeof Case>;

const expand = (scores: [number, number][]) =>
  scores.flatMap(([value, times]) => Array<number>(times).fill(value));

function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((value, index) =>
    expect(Math.abs(value - (expected[index] ?? Number.NaN)), `${what}[${index}] = ${value}`).toBeLessThan(
      TOLERANCE,
    ),
  );
}

function runPsi(testCase: z.infer<typeof PsiCase>): void {
  const spec: HistogramSpec = testCase.range;
  const reference = histogramOf(spec, expand(testCase.reference));
  const current = histogramOf(spec, expand(testCase.current));
  expect(reference.counts).toEqual(testCase.expect.referenceCounts);
  expect(current.counts).toEqual(testCase.expect.currentCounts);
  const result = populationStabilityIndex(reference, current);
  if (!result.ok) throw new Error(result.message);
  expectClose(
    result.terms.map((term) => term.term),
    testCase.expect.terms,
    'terms',
  );
  expect(Math.abs(result.psi - testCase.expect.psi), `PSI ${result.psi}`).toBeLessThan(TOLERANCE);
  const drift = scoreDrift(testCase.trait, reference, current, testCase.threshold);
  expect({ drifted: drift.drifted, message: drift.message }).toEqual({
    drifted: testCase.expect.drifted,
    message: testCase.expect.message,
  });
}

function runTiers(testCase: z.infer<typeof TiersCase>): void {
  const result = testCase.histogram
    ? cutPointsFromHistogram(testCase.histogram, testCase.tiers)
    : cutPointsFromSample(
        [...(testCase.sample ?? [])].sort((a, b) => a - b),
        testCase.tiers,
        testCase.range ?? { min: 0, max: 1, bins: 10 },
      );
  if (!result) throw new Error('expected cut points');
  const { expect: expected } = testCase;
  expectClose(result.equalMassCutPoints, expected.equalMassCutPoints, 'equalMassCutPoints');
  expectClose(result.cutPoints, expected.cutPoints, 'cutPoints');
  expect(result.bimodal).toBe(expected.bimodal);
  if (expected.bimodalityCoefficient === null) expect(result.bimodalityCoefficient).toBe(null);
  else
    expectClose(
      [result.bimodalityCoefficient ?? Number.NaN],
      [expected.bimodalityCoefficient],
      'coefficient',
    );
  if (expected.valley === null) expect(result.valley).toBe(null);
  else expectClose([result.valley ?? Number.NaN], [expected.valley], 'valley');
}

describeCaseFiles(
  'score monitoring cases',
  casesDir,
  (json) => Case.parse(json),
  (testCase: Case) => {
    if (testCase.psi) runPsi(testCase.psi);
    if (testCase.tiers) runTiers(testCase.tiers);
  },
);
