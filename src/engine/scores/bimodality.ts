import { binCentre, binEdge, type Histogram } from './histogram.js';

/**
 * Is a score's distribution two humps? Two signs must agree (docs/budget.md "Tiers"):
 * - Sarle's bimodality coefficient BC = (G1² + 1) / (G2 + 3(n−1)² / ((n−2)(n−3))), with G1 the
 *   sample skewness and G2 the sample excess kurtosis, is over 5/9 (a uniform distribution's value);
 * - the histogram has a valley: a bin at most half as high as the lower of the highest bins on its
 *   two sides. The deepest such valley (highest lower side minus the valley) is the one; a run of
 *   equally deep bins is one valley, cut at the run's middle.
 */

export const BIMODAL_THRESHOLD = 5 / 9;

/** Count, mean and central moments m2, m3, m4 (divided by n). */
export interface Moments {
  n: number;
  mean: number;
  m2: number;
  m3: number;
  m4: number;
}

export function momentsOfSample(values: readonly number[]): Moments {
  return moments(values.map((value) => [value, 1] as const));
}

/** From a histogram, each value at its bin's centre (an approximation, without correction). */
export function momentsOfHistogram(histogram: Histogram): Moments {
  return moments(histogram.counts.map((count, bin) => [binCentre(histogram, bin), count] as const));
}

function moments(weighted: readonly (readonly [number, number])[]): Moments {
  let n = 0;
  let sum = 0;
  for (const [value, weight] of weighted) {
    n += weight;
    sum += value * weight;
  }
  const mean = n > 0 ? sum / n : 0;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const [value, weight] of weighted) {
    const d = value - mean;
    m2 += weight * d * d;
    m3 += weight * d * d * d;
    m4 += weight * d * d * d * d;
  }
  return n > 0 ? { n, mean, m2: m2 / n, m3: m3 / n, m4: m4 / n } : { n, mean, m2: 0, m3: 0, m4: 0 };
}

/** Sarle's coefficient; null with fewer than 4 values or no spread. */
export function bimodalityCoefficient({ n, m2, m3, m4 }: Moments): number | null {
  if (n < 4 || !(m2 > 0)) return null;
  const g1 = m3 / m2 ** 1.5;
  const g2 = m4 / (m2 * m2) - 3;
  const skewness = (g1 * Math.sqrt(n * (n - 1))) / (n - 2);
  const excessKurtosis = (((n + 1) * g2 + 6) * (n - 1)) / ((n - 2) * (n - 3));
  return (skewness * skewness + 1) / (excessKurtosis + (3 * (n - 1) ** 2) / ((n - 2) * (n - 3)));
}

export interface Valley {
  /** Where to cut: the middle of the valley's bins. */
  at: number;
  /** Values in the valley's lowest bin, and the highest bin on each side. */
  count: number;
  leftMode: number;
  rightMode: number;
}

/** The histogram's deepest valley, if one is at most half as high as the lower of its two sides. */
export function deepestValley(histogram: Histogram): Valley | undefined {
  const { counts } = histogram;
  const leftMax: number[] = [];
  let running = 0;
  for (const count of counts) {
    leftMax.push(running);
    running = Math.max(running, count);
  }
  const rightMax = new Array<number>(counts.length).fill(0);
  running = 0;
  for (let bin = counts.length - 1; bin >= 0; bin--) {
    rightMax[bin] = running;
    running = Math.max(running, counts[bin] ?? 0);
  }
  const depthAt = (bin: number) => Math.min(leftMax[bin] ?? 0, rightMax[bin] ?? 0) - (counts[bin] ?? 0);
  let first = -1;
  for (let bin = 1; bin < counts.length - 1; bin++)
    if (depthAt(bin) > 0 && (first < 0 || depthAt(bin) > depthAt(first))) first = bin;
  if (first < 0) return undefined;
  let last = first;
  while (last + 1 < counts.length - 1 && depthAt(last + 1) === depthAt(first)) last++;
  const count = counts[first] ?? 0;
  const leftMode = leftMax[first] ?? 0;
  const rightMode = rightMax[last] ?? 0;
  if (count > Math.min(leftMode, rightMode) / 2) return undefined;
  return { at: (binEdge(histogram, first) + binEdge(histogram, last + 1)) / 2, count, leftMode, rightMode };
}
