import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { z } from 'zod';
import {
  AllocationInputs,
  AllocationRun,
  allocate,
  DecisionReason,
  replay,
} from '../../../src/engine/budget/index.js';
import { describeCaseFiles } from '../../helpers/case-files.js';

/**
 * One runner for every case in cases/*.json: allocation inputs (as a run stores them), and the
 * ranking, decisions and totals computed by hand, the arithmetic written out in `explanation`, which
 * must name the reason of every decision in words. Ranking entries and decisions are matched as
 * subsets (fields listed must be equal, floats to 1e-9; every audience listed, in order). Every run
 * must also survive JSON, parse as an `AllocationRun` and replay to the same run.
 */

const casesDir = fileURLToPath(new URL('./cases/', import.meta.url));

/** The words a case's explanation must use for each reason its decisions give. */
const REASON_WORDS: Record<DecisionReason, string> = {
  saturated: 'saturated',
  rest_of_budget: 'rest of the budget',
  budget_spent: 'nothing is left',
  below_minimum_size: 'below the minimum size',
  no_expected_value: 'no expected value',
};

const Case = z.strictObject({
  name: z.string().min(10),
  explanation: z.string().min(20),
  at: z.string(),
  inputs: AllocationInputs,
  expect: z.strictObject({
    ranking: z.array(z.record(z.string(), z.unknown())),
    decisions: z.array(
      z.looseObject({
        audience: z.string(),
        cents: z.number(),
        reason: DecisionReason,
        explanation: z.string(),
      }),
    ),
    allocated: z.number(),
    unallocated: z.number(),
    explanation: z.string(),
  }),
});
type Case = z.infer<typeof Case>;

/** Numbers to 1e-9 (running sums are floats), everything else exactly. */
function expectSubset(
  actual: Record<string, unknown>,
  expected: Record<string, unknown>,
  where: string,
): void {
  for (const [key, value] of Object.entries(expected)) {
    const got = actual[key];
    if (typeof value === 'number' && typeof got === 'number' && !Number.isInteger(value))
      expect(got, `${where}.${key}`).toBeCloseTo(value, 9);
    else if (typeof value === 'number' && typeof got === 'number')
      expect(Math.abs(got - value), `${where}.${key}: ${got}`).toBeLessThan(1e-9);
    else expect(got, `${where}.${key}`).toEqual(value);
  }
}

describeCaseFiles(
  'budget allocation cases',
  casesDir,
  (json) => Case.parse(json),
  (testCase: Case) => {
    const run = allocate(testCase.inputs, testCase.at);
    const { expect: expected } = testCase;

    expect(run.ranking.map((entry) => entry.audience)).toEqual(
      expected.ranking.map((entry) => entry.audience),
    );
    run.ranking.forEach((entry, index) =>
      expectSubset(entry, expected.ranking[index] ?? {}, `ranking[${index}]`),
    );
    expect(run.decisions.map((decision) => decision.audience)).toEqual(
      expected.decisions.map((decision) => decision.audience),
    );
    run.decisions.forEach((decision, index) =>
      expectSubset(decision, expected.decisions[index] ?? {}, `decisions[${index}]`),
    );
    expect({ allocated: run.allocated, unallocated: run.unallocated, explanation: run.explanation }).toEqual({
      allocated: expected.allocated,
      unallocated: expected.unallocated,
      explanation: expected.explanation,
    });

    for (const decision of expected.decisions)
      expect(
        testCase.explanation,
        `the case's explanation names why ${decision.audience} got what it got`,
      ).toContain(REASON_WORDS[decision.reason]);

    const stored = AllocationRun.parse(JSON.parse(JSON.stringify(run)));
    expect(stored).toEqual(run);
    expect(replay(stored)).toEqual(run);
  },
);
