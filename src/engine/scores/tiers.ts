import { z } from 'zod';
import {
  bimodalityCoefficient,
  BIMODAL_THRESHOLD,
  deepestValley,
  momentsOfHistogram,
  momentsOfSample,
  type Valley,
} from './bimodality.js';
import { binEdge, histogramOf, totalCount, type Histogram, type HistogramSpec } from './histogram.js';

/**
 * Tier cut points that follow a score's actual shape (docs/budget.md "Tiers"). `tiers` tiers need
 * tiers − 1 cut points, first at equal-mass quantiles (each tier holds the same share of profiles).
 * When the distribution is bimodal (bimodality.ts), the equal-mass cut point nearest the valley
 * between the two modes moves onto the valley (the lower one when two are as near), so one cut
 * separates the humps instead of running through one.
 */

export const TierCutPoints = z.strictObject({
  tiers: z.number().int().min(2),
  /** Ascending; a score at or above cutPoints[i] is in tier i + 2 (tier 1 is the lowest). */
  cutPoints: z.array(z.number()),
  equalMassCutPoints: z.array(z.number()),
  bimodalityCoefficient: z.number().nullable(),
  bimodal: z.boolean(),
  valley: z.number().nullable(),
  explanation: z.string(),
});
export type TierCutPoints = z.infer<typeof TierCutPoints>;

/** From a histogram: quantiles interpolated linearly within their bin, moments at bin centres. */
export function cutPointsFromHistogram(histogram: Histogram, tiers: number): TierCutPoints | undefined {
  const total = totalCount(histogram);
  if (total === 0) return undefined;
  const quantile = (target: number) => {
    let before = 0;
    for (const [bin, count] of histogram.counts.entries()) {
      if (count > 0 && before + count >= target) {
        const within = (target - before) / count;
        return binEdge(histogram, bin) + within * (binEdge(histogram, bin + 1) - binEdge(histogram, bin));
      }
      before += count;
    }
    return histogram.max;
  };
  const equalMass = steps(tiers).map((fraction) => quantile(fraction * total));
  return decide(tiers, equalMass, bimodalityCoefficient(momentsOfHistogram(histogram)), histogram);
}

/**
 * From a sorted sample: quantiles by linear interpolation between order statistics (position
 * (n − 1) × q), moments of the values themselves; the valley is looked for in the sample's
 * histogram over `spec`.
 */
export function cutPointsFromSample(
  sorted: readonly number[],
  tiers: number,
  spec: HistogramSpec,
): TierCutPoints | undefined {
  if (sorted.length === 0) return undefined;
  const quantile = (fraction: number) => {
    const position = (sorted.length - 1) * fraction;
    const below = Math.floor(position);
    const low = sorted[below] ?? 0;
    const high = sorted[Math.min(below + 1, sorted.length - 1)] ?? low;
    return low + (position - below) * (high - low);
  };
  const equalMass = steps(tiers).map(quantile);
  const coefficient = bimodalityCoefficient(momentsOfSample(sorted));
  return decide(tiers, equalMass, coefficient, histogramOf(spec, sorted));
}

/** 1/k, 2/k, ... (k − 1)/k. */
function steps(tiers: number): number[] {
  return Array.from({ length: tiers - 1 }, (_, index) => (index + 1) / tiers);
}

function decide(
  tiers: number,
  equalMass: number[],
  coefficient: number | null,
  histogram: Histogram,
): TierCutPoints {
  const overThreshold = coefficient !== null && coefficient > BIMODAL_THRESHOLD;
  const valley = overThreshold ? deepestValley(histogram) : undefined;
  const coefficientText =
    coefficient === null
      ? 'no bimodality coefficient (fewer than 4 scores, or all equal)'
      : `bimodality coefficient ${coefficient.toFixed(4)} ${overThreshold ? '>' : '≤'} 5/9`;
  const listed = (points: number[]) => points.map((point) => point.toFixed(4)).join(', ');
  const base = {
    tiers,
    equalMassCutPoints: equalMass,
    bimodalityCoefficient: coefficient,
  };
  if (valley === undefined) {
    const why = overThreshold
      ? `${coefficientText}, but no valley at most half as high as its sides`
      : coefficientText;
    return {
      ...base,
      cutPoints: equalMass,
      bimodal: false,
      valley: null,
      explanation: `equal-mass cut points ${listed(equalMass)} (${tiers} tiers of ${share(tiers)} each); ${why}: one mode`,
    };
  }
  const nearest = nearestIndex(equalMass, valley.at);
  const cutPoints = equalMass.map((point, index) => (index === nearest ? valley.at : point));
  return {
    ...base,
    cutPoints,
    bimodal: true,
    valley: valley.at,
    explanation:
      `${coefficientText} and a valley at ${valley.at.toFixed(4)} (${describeValley(valley)}): two modes; ` +
      `the equal-mass cut point ${(equalMass[nearest] ?? valley.at).toFixed(4)} nearest the valley moves to it: ${listed(cutPoints)}`,
  };
}

function nearestIndex(points: number[], target: number): number {
  let best = 0;
  for (const [index, point] of points.entries())
    if (Math.abs(point - target) < Math.abs((points[best] ?? point) - target)) best = index;
  return best;
}

function describeValley(valley: Valley): string {
  return `${valley.count} in its bin, against ${valley.leftMode} and ${valley.rightMode} at the modes`;
}

function share(tiers: number): string {
  return `${Number((100 / tiers).toFixed(1))}%`;
}
