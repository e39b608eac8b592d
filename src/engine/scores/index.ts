/** Score monitoring (docs/budget.md "Score monitoring"): histograms, drift (PSI) and tier cut points. */
export {
  BIMODAL_THRESHOLD,
  bimodalityCoefficient,
  deepestValley,
  momentsOfHistogram,
  momentsOfSample,
  type Moments,
  type Valley,
} from './bimodality.js';
export {
  addHistograms,
  binCentre,
  binEdge,
  binOf,
  DEFAULT_SCORE_MAX,
  emptyHistogram,
  Histogram,
  histogramOf,
  sameBins,
  scoreRange,
  totalCount,
  withValue,
  type HistogramSpec,
} from './histogram.js';
export {
  driftVerdict,
  populationStabilityIndex,
  PSI_EPSILON,
  scoreDrift,
  type PsiResult,
  type PsiTerm,
  type ScoreDrift,
} from './psi.js';
export { cutPointsFromHistogram, cutPointsFromSample, TierCutPoints } from './tiers.js';
