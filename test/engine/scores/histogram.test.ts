import { describe, expect, it } from 'vitest';
import {
  addHistograms,
  bimodalityCoefficient,
  binOf,
  cutPointsFromHistogram,
  cutPointsFromSample,
  emptyHistogram,
  momentsOfSample,
  populationStabilityIndex,
  scoreDrift,
  scoreRange,
  withValue,
} from '../../../src/engine/scores/index.js';
import { TraitDefinition } from '../../../src/mappings/traits-schema.js';

/** The edges of histograms, PSI and cut points that the case files do not show. */

const rule = { points: 10, reason: 'Demo', when: { event: 'Demo Requested' } };

describe('score histograms', () => {
  it('take their range from the trait: a model 0..1, a rule score 0..max, or 0..100 without one', () => {
    const range = (written: unknown) => scoreRange(TraitDefinition.parse(written));
    expect(range({ model: { file: 'models/p.json' } })).toEqual({ min: 0, max: 1 });
    expect(range({ score: { half_life: '14d', max: 250, rules: [rule] } })).toEqual({ min: 0, max: 250 });
    expect(range({ score: { half_life: '14d', rules: [rule] } })).toEqual({ min: 0, max: 100 });
    expect(range({ count: { event: 'Order Completed', window: '30d' } })).toBe(undefined);
  });

  it('put an edge value in the bin above, max in the last bin, and values outside in the edge bins', () => {
    const histogram = emptyHistogram({ min: 0, max: 1, bins: 5 });
    expect([0, 0.2, 0.39, 0.4, 1, 1.7, -3].map((value) => binOf(histogram, value))).toEqual([
      0, 1, 1, 2, 4, 4, 0,
    ]);
  });

  it('count values in and out, never below 0, and ignore what is not a number', () => {
    let histogram = emptyHistogram({ min: 0, max: 1, bins: 2 });
    histogram = withValue(histogram, 0.7);
    histogram = withValue(histogram, Number.NaN);
    histogram = withValue(histogram, 0.2, -1);
    expect(histogram.counts).toEqual([0, 1]);
  });

  it('add up only when their bins are the same', () => {
    const a = withValue(emptyHistogram({ min: 0, max: 1, bins: 2 }), 0.1);
    expect(addHistograms(a, a)?.counts).toEqual([2, 0]);
    expect(addHistograms(a, emptyHistogram({ min: 0, max: 1, bins: 3 }))).toBe(undefined);
  });
});

describe('PSI without data to compare', () => {
  const empty = emptyHistogram({ min: 0, max: 1, bins: 4 });
  const some = withValue(empty, 0.5, 10);

  it('is a value saying why, never a number', () => {
    expect(populationStabilityIndex(empty, some)).toMatchObject({ ok: false, reason: 'empty_reference' });
    expect(populationStabilityIndex(some, empty)).toMatchObject({ ok: false, reason: 'empty_current' });
    expect(populationStabilityIndex(some, emptyHistogram({ min: 0, max: 2, bins: 4 }))).toMatchObject({
      ok: false,
      reason: 'different_bins',
    });
    expect(scoreDrift('p_convert', empty, some, 0.2)).toEqual({
      trait: 'p_convert',
      psi: null,
      threshold: 0.2,
      drifted: false,
      message: 'p_convert: no PSI: the reference window has no scores',
    });
  });

  it('is 0 for identical histograms', () => {
    const result = populationStabilityIndex(some, some);
    expect(result.ok && result.psi).toBe(0);
  });
});

describe('tier cut points at the edges', () => {
  it('need scores: none from an empty histogram or sample', () => {
    expect(cutPointsFromHistogram(emptyHistogram({ min: 0, max: 1, bins: 4 }), 3)).toBe(undefined);
    expect(cutPointsFromSample([], 3, { min: 0, max: 1, bins: 4 })).toBe(undefined);
  });

  it('have no bimodality coefficient below 4 scores or without spread, and then keep equal mass', () => {
    expect(bimodalityCoefficient(momentsOfSample([0.1, 0.9, 0.9]))).toBe(null);
    expect(bimodalityCoefficient(momentsOfSample([0.5, 0.5, 0.5, 0.5, 0.5]))).toBe(null);
    const result = cutPointsFromSample([0.5, 0.5, 0.5, 0.5, 0.5], 2, { min: 0, max: 1, bins: 10 });
    expect(result).toMatchObject({ cutPoints: [0.5], bimodal: false, bimodalityCoefficient: null });
  });

  it('treat a flat (uniform) histogram as one mode', () => {
    const flat = { min: 0, max: 1, counts: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10] };
    const result = cutPointsFromHistogram(flat, 4);
    expect(result?.bimodal).toBe(false);
    expect(result?.cutPoints.map((point) => Number(point.toFixed(6)))).toEqual([0.25, 0.5, 0.75]);
  });

  it('need a valley at most half as high as the humps beside it, not just a high coefficient', () => {
    // Two humps (20 and 22) with a shallow dip of 15 between them: not deep enough to cut in.
    const shallow = { min: 0, max: 1, counts: [2, 20, 18, 16, 15, 15, 16, 18, 22, 2] };
    const result = cutPointsFromHistogram(shallow, 2);
    expect(result?.bimodal).toBe(false);
    expect(result?.cutPoints).toEqual(result?.equalMassCutPoints);
  });
});
