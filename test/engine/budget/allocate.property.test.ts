import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllocationRun, allocate, replay, type AllocationInputs } from '../../../src/engine/budget/index.js';

/**
 * For random budgets and audiences: the walk never gives more than the total or than any cap, the
 * channel parts add up to each amount exactly, the remainders chain, and a stored run (through JSON)
 * replays to the same run. FUZZ_RUNS picks how many inputs (fixed seed, so a failure reproduces).
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const params = { numRuns: RUNS, seed: 20_250_301 };

const channels = fc
  .uniqueArray(fc.constantFrom('meta_ads', 'google_ads', 'linkedin_ads', 'tiktok_ads', 'snap_ads'), {
    maxLength: 5,
  })
  .chain((names) =>
    fc.tuple(
      fc.constant(names),
      fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: names.length, maxLength: names.length }),
    ),
  )
  .map(([names, weights]) => {
    const sum = weights.reduce((total, weight) => total + weight, 0);
    return Object.fromEntries(names.map((name, index) => [name, (weights[index] ?? 1) / sum]));
  });

const audience = fc
  .record({
    size: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 2_000_000 })),
    probability: fc.double({ min: 0, max: 1, noNaN: true }),
    withOrderValue: fc.double({ min: 0, max: 1, noNaN: true }),
    averageOrderValue: fc.double({ min: -50, max: 5000, noNaN: true }),
    constantOrderValue: fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: null }),
  })
  .map(({ size, probability, withOrderValue, averageOrderValue, constantOrderValue }) => {
    const countOrderValue = Math.floor(size * withOrderValue);
    return {
      size,
      sumProbability: size * probability,
      sumOrderValue: countOrderValue * averageOrderValue,
      countOrderValue,
      constantOrderValue,
    };
  });

const inputs: fc.Arbitrary<AllocationInputs> = fc.record({
  budget: fc.record({
    total: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 1_000_000_000 }).map((cents) => cents / 100),
    ),
    period: fc.constantFrom('day' as const, 'week' as const, 'month' as const),
    minAudienceSize: fc.integer({ min: 0, max: 500 }),
    capPerMember: fc.oneof(
      fc.constantFrom(0.07, 0.005, 2, 0.1, 1 / 3),
      fc.double({ min: 0.001, max: 1000, noNaN: true }),
    ),
    channels,
  }),
  audiences: fc
    .uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), { maxLength: 8 })
    .chain((names) =>
      fc.tuple(...names.map((name) => audience.map((sums) => ({ audience: name, ...sums })))),
    ),
});

describe('budget allocation properties', () => {
  it('never exceeds the total or a cap, splits exactly, and replays to the same run', () => {
    fc.assert(
      fc.property(inputs, (generated) => {
        const run = allocate(generated, '2025-03-01T12:00:00Z');
        const totalCents = Math.round(generated.budget.total * 100);
        const given = run.decisions.reduce((sum, decision) => sum + decision.cents, 0);
        expect(given).toBe(run.allocated);
        expect(run.allocated + run.unallocated).toBe(totalCents);
        expect(run.allocated).toBeLessThanOrEqual(totalCents);
        let remaining = totalCents;
        for (const decision of run.decisions) {
          expect(Number.isSafeInteger(decision.cents)).toBe(true);
          expect(decision.cents).toBeGreaterThanOrEqual(0);
          expect(decision.cents).toBeLessThanOrEqual(decision.capCents);
          expect(decision.remainingBeforeCents).toBe(remaining);
          remaining = decision.remainingAfterCents;
          const size = run.ranking[decision.rank - 1]?.size ?? 0;
          if (size < generated.budget.minAudienceSize) expect(decision.cents).toBe(0);
          if (decision.channels.length > 0) {
            expect(decision.channels.reduce((sum, part) => sum + part.cents, 0)).toBe(decision.cents);
            for (const part of decision.channels) expect(part.cents).toBeGreaterThanOrEqual(0);
          }
        }
        for (const [index, entry] of run.ranking.entries()) {
          const next = run.ranking[index + 1];
          if (next) expect(entry.expectedValuePerMember).toBeGreaterThanOrEqual(next.expectedValuePerMember);
        }
        const stored = AllocationRun.parse(JSON.parse(JSON.stringify(run)));
        expect(replay(stored)).toEqual(run);
      }),
      params,
    );
  });
});
