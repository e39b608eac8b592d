import { describe, expect, it } from 'vitest';
import {
  addMember,
  changeMember,
  emptySums,
  probabilityOf,
  probabilitySourceOf,
  rankAudiences,
  removeMember,
  scoreToProbability,
} from '../../../src/engine/budget/index.js';
import { ProbabilityFromScore } from '../../../src/mappings/budget-schema.js';
import { TraitDefinition } from '../../../src/mappings/traits-schema.js';

/** The running sums ranking reads, and how a member's trait values become a probability. */

describe('running sums per audience', () => {
  it('follows members entering, changing and leaving, back to exactly empty', () => {
    let sums = emptySums();
    sums = changeMember(sums, null, { probability: 0.9, orderValue: 100 });
    sums = changeMember(sums, null, { probability: 0.3, orderValue: undefined });
    sums = changeMember(sums, null, { probability: undefined, orderValue: 50 });
    expect(sums).toEqual({ size: 3, sumProbability: 1.2, sumOrderValue: 150, countOrderValue: 2 });
    const [ranked] = rankAudiences([{ audience: 'a', ...sums, constantOrderValue: null }]);
    expect(ranked?.meanProbability).toBeCloseTo(0.4, 12);
    expect(ranked?.averageOrderValue).toBe(75);

    sums = changeMember(sums, { probability: 0.9, orderValue: 100 }, { probability: 0.7, orderValue: 120 });
    expect(sums.size).toBe(3);
    expect(sums.sumProbability).toBeCloseTo(1.0, 12);
    expect(sums.sumOrderValue).toBe(170);

    sums = removeMember(sums, { probability: undefined, orderValue: 50 });
    sums = removeMember(sums, { probability: 0.3, orderValue: undefined });
    expect(sums).toEqual({
      size: 1,
      sumProbability: expect.closeTo(0.7, 12),
      sumOrderValue: 120,
      countOrderValue: 1,
    });
    expect(removeMember(sums, { probability: 0.7, orderValue: 120 })).toEqual(emptySums());
  });

  it('resets the order value sum when the last member with one leaves', () => {
    const sums = addMember(addMember(emptySums(), { probability: 0.1, orderValue: 0.1 }), {
      probability: 0.2,
      orderValue: undefined,
    });
    expect(removeMember(sums, { probability: 0.1, orderValue: 0.1 })).toEqual({
      size: 1,
      sumProbability: expect.closeTo(0.2, 12),
      sumOrderValue: 0,
      countOrderValue: 0,
    });
  });

  it('clamps a mean probability that float residues pushed out of [0, 1]', () => {
    const ranking = rankAudiences([
      {
        audience: 'over',
        size: 2,
        sumProbability: 2.0000000001,
        sumOrderValue: 10,
        countOrderValue: 1,
        constantOrderValue: null,
      },
      {
        audience: 'under',
        size: 2,
        sumProbability: -1e-12,
        sumOrderValue: 10,
        countOrderValue: 1,
        constantOrderValue: null,
      },
    ]);
    expect(ranking.map((entry) => [entry.audience, entry.meanProbability])).toEqual([
      ['over', 1],
      ['under', 0],
    ]);
  });
});

describe('probabilities from trait values', () => {
  const logistic = ProbabilityFromScore.parse({ logistic: { midpoint: 50, scale: 10 } });
  const linear = ProbabilityFromScore.parse({ linear: { min: 20, max: 120 } });
  const score = TraitDefinition.parse({
    score: { half_life: '14d', rules: [{ points: 10, reason: 'Demo', when: { event: 'Demo Requested' } }] },
  });
  const model = TraitDefinition.parse({ model: { file: 'models/p.json' } });

  it('maps rule score points through the logistic: 0.5 at the midpoint, 1 / (1 + e^-1) one scale above', () => {
    expect(scoreToProbability(50, logistic)).toBe(0.5);
    expect(scoreToProbability(60, logistic)).toBeCloseTo(0.7310585786, 9);
    expect(scoreToProbability(30, logistic)).toBeCloseTo(0.119202922, 9);
  });

  it('maps rule score points linearly between min and max, clamped', () => {
    expect(scoreToProbability(70, linear)).toBe(0.5);
    expect(scoreToProbability(0, linear)).toBe(0);
    expect(scoreToProbability(500, linear)).toBe(1);
  });

  it('reads model scores as probabilities (clamped), margins through the logistic, and nothing else', () => {
    const fromModel = probabilitySourceOf(model, logistic);
    expect(fromModel).toEqual({ kind: 'probability' });
    expect(probabilityOf(0.82, fromModel)).toBe(0.82);
    expect(probabilityOf(1.2, fromModel)).toBe(1);
    expect(probabilityOf('0.8', fromModel)).toBe(undefined);
    expect(probabilityOf(Number.NaN, fromModel)).toBe(undefined);
    expect(probabilityOf(0, probabilitySourceOf(model, undefined, 'margin'))).toBe(0.5);
    expect(probabilityOf(70, probabilitySourceOf(score, linear))).toBe(0.5);
    expect(probabilitySourceOf(score, undefined)).toEqual({ kind: 'probability' });
  });
});
