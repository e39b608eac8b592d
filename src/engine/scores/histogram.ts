import { z } from 'zod';
import type { TraitDefinition } from '../../mappings/traits-schema.js';

/**
 * Fixed-bin histograms of a score trait (docs/budget.md "Score monitoring"). The bins come from the
 * trait's known range, never from the data, so histograms of different days compare bin by bin:
 * `bins` equal bins from `min` to `max`; a value on an edge belongs to the bin above it, `max` to the
 * last bin, and values outside the range are counted in the first or last bin. Pure: every function
 * returns a new histogram.
 */

export const Histogram = z
  .strictObject({
    min: z.number().finite(),
    max: z.number().finite(),
    /** Values per bin, lowest bin first. */
    counts: z.array(z.number().int().min(0)).min(1),
  })
  .refine((histogram) => histogram.max > histogram.min, { message: 'max must be greater than min' });
export type Histogram = z.infer<typeof Histogram>;

export interface HistogramSpec {
  min: number;
  max: number;
  bins: number;
}

/** Rule scores without a `max` are binned over 0..100 (higher scores counted in the last bin). */
export const DEFAULT_SCORE_MAX = 100;

/**
 * The range a score trait's histogram covers: a model's probability 0..1; a rule score 0..`max`
 * (scores are capped at `max`; negative totals count in the first bin), or 0..100 without one.
 * Undefined for traits that are not scores.
 */
export function scoreRange(trait: TraitDefinition): { min: number; max: number } | undefined {
  if (trait.kind === 'model') return { min: 0, max: 1 };
  if (trait.kind === 'score') return { min: 0, max: trait.max ?? DEFAULT_SCORE_MAX };
  return undefined;
}

export function emptyHistogram(spec: HistogramSpec): Histogram {
  return { min: spec.min, max: spec.max, counts: new Array<number>(spec.bins).fill(0) };
}

/** The bin a value falls in (clamped to the first and last bin). */
export function binOf(histogram: Histogram, value: number): number {
  const bins = histogram.counts.length;
  const position = Math.floor(((value - histogram.min) * bins) / (histogram.max - histogram.min));
  return Math.min(bins - 1, Math.max(0, position));
}

/** The histogram with `value` counted `times` more (negative: taken away, never below 0); NaN and infinities are not scores. */
export function withValue(histogram: Histogram, value: number, times = 1): Histogram {
  if (!Number.isFinite(value)) return histogram;
  const counts = [...histogram.counts];
  const bin = binOf(histogram, value);
  counts[bin] = Math.max(0, (counts[bin] ?? 0) + times);
  return { ...histogram, counts };
}

export function histogramOf(spec: HistogramSpec, values: Iterable<number>): Histogram {
  const histogram = emptyHistogram(spec);
  const { counts } = histogram;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    const bin = binOf(histogram, value);
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return histogram;
}

/** Histograms of the same bins added up (e.g. the days of a reference window); undefined if the bins differ. */
export function addHistograms(a: Histogram, b: Histogram): Histogram | undefined {
  if (!sameBins(a, b)) return undefined;
  return { ...a, counts: a.counts.map((count, bin) => count + (b.counts[bin] ?? 0)) };
}

export function sameBins(a: Histogram, b: Histogram): boolean {
  return a.min === b.min && a.max === b.max && a.counts.length === b.counts.length;
}

export function totalCount(histogram: Histogram): number {
  return histogram.counts.reduce((sum, count) => sum + count, 0);
}

export function binWidth(histogram: Histogram): number {
  return (histogram.max - histogram.min) / histogram.counts.length;
}

/** The lower edge of a bin (`bins` gives `max`). */
export function binEdge(histogram: Histogram, bin: number): number {
  return bin === histogram.counts.length ? histogram.max : histogram.min + bin * binWidth(histogram);
}

export function binCentre(histogram: Histogram, bin: number): number {
  return histogram.min + (bin + 0.5) * binWidth(histogram);
}
