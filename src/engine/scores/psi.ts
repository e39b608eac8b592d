import { sameBins, totalCount, type Histogram } from './histogram.js';

/**
 * Population stability index between a reference histogram (expected, e) and a current one (actual,
 * a), over the same bins: PSI = Σ (a_i − e_i) × ln(a_i / e_i), with a_i and e_i the share of each
 * histogram's values in bin i. An empty bin's share counts as ε = 0.0001 (not renormalised), so the
 * logarithm stays finite. Common reading: under 0.1 stable, 0.1 to 0.25 a moderate shift, over 0.25
 * a large one; the relay warns over `scores.psi_threshold` (default 0.2).
 */

export const PSI_EPSILON = 1e-4;

export interface PsiTerm {
  bin: number;
  expected: number;
  actual: number;
  term: number;
}

export type PsiResult =
  | { ok: true; psi: number; terms: PsiTerm[] }
  | { ok: false; reason: 'different_bins' | 'empty_reference' | 'empty_current'; message: string };

export function populationStabilityIndex(reference: Histogram, current: Histogram): PsiResult {
  if (!sameBins(reference, current))
    return { ok: false, reason: 'different_bins', message: 'the histograms have different bins' };
  const expectedTotal = totalCount(reference);
  const actualTotal = totalCount(current);
  if (expectedTotal === 0)
    return { ok: false, reason: 'empty_reference', message: 'the reference window has no scores' };
  if (actualTotal === 0)
    return { ok: false, reason: 'empty_current', message: 'the current window has no scores' };
  const share = (count: number, total: number) => (count === 0 ? PSI_EPSILON : count / total);
  const terms = reference.counts.map((count, bin) => {
    const expected = share(count, expectedTotal);
    const actual = share(current.counts[bin] ?? 0, actualTotal);
    return { bin, expected, actual, term: (actual - expected) * Math.log(actual / expected) };
  });
  return { ok: true, psi: terms.reduce((sum, { term }) => sum + term, 0), terms };
}

export interface ScoreDrift {
  trait: string;
  /** null when there is nothing to compare yet. */
  psi: number | null;
  threshold: number;
  /** PSI over the threshold: warn. */
  drifted: boolean;
  message: string;
}

/** The verdict for one trait, as the log and the admin API say it. */
export function scoreDrift(
  trait: string,
  reference: Histogram,
  current: Histogram,
  threshold: number,
): ScoreDrift {
  const result = populationStabilityIndex(reference, current);
  return driftVerdict(trait, result.ok ? result.psi : null, threshold, result.ok ? '' : result.message);
}

/** The verdict for a PSI already computed (null: none, `why` says why not), against `threshold`. */
export function driftVerdict(trait: string, psi: number | null, threshold: number, why = ''): ScoreDrift {
  if (psi === null)
    return { trait, psi: null, threshold, drifted: false, message: `${trait}: no PSI: ${why}` };
  const drifted = psi > threshold;
  const shown = psi.toFixed(4);
  const message = drifted
    ? `${trait}: PSI ${shown} against the reference window, over the threshold ${threshold}: the score's distribution has shifted`
    : `${trait}: PSI ${shown} against the reference window, within the threshold ${threshold}`;
  return { trait, psi, threshold, drifted, message };
}
