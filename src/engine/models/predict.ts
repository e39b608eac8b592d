import { assertNever } from '../../lib/assert-never.js';

/**
 * Compiled models and their prediction. A model file (schema.ts) is validated and compiled once by
 * load.ts into these flat, array-backed forms; `predict` runs on every event, so it allocates
 * nothing and walks trees through typed arrays.
 */

/**
 * Which file a compiled model came from: the file's own `version` (null without one) and the first 16
 * hex digits of the SHA-256 of its text, recorded with every score (docs/models.md).
 */
export interface ModelIdentity {
  readonly version: string | null;
  readonly hash: string;
}

/** A logistic regression: sigmoid(intercept + sum of coefficient x transformed feature). */
export interface LogisticModel {
  readonly kind: 'logistic';
  readonly identity: ModelIdentity;
  readonly output: 'probability';
  readonly intercept: number;
  /** Feature (trait) names; every array below is indexed like this one. */
  readonly features: readonly string[];
  readonly coefficients: Float64Array;
  /** Raw value used when the feature is missing (the file's `default`, else 0). */
  readonly defaults: Float64Array;
  /** Clip bounds; -Infinity / Infinity when the feature is not clipped. */
  readonly clipMin: Float64Array;
  readonly clipMax: Float64Array;
  /** 1 when ln(1 + max(x, 0)) is applied. */
  readonly log1p: Uint8Array;
  /** Standardization; 0 and 1 when the feature is not scaled. */
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * A tree ensemble flattened into parallel arrays over every node of every tree. Node `n` is a leaf
 * when `splitFeature[n]` is -1 (its value is `leafValue[n]`); otherwise it goes to `yes[n]` when
 * `features[splitFeature[n]] < threshold[n]` (compared in 32-bit floats, as XGBoost does), to `no[n]`
 * when not, and to `missing[n]` when the feature is missing.
 */
export interface TreeEnsemble {
  readonly kind: 'trees';
  readonly identity: ModelIdentity;
  /** 'probability' for binary:logistic and reg:logistic, 'margin' for binary:logitraw. */
  readonly output: 'probability' | 'margin';
  /** logit(base_score) for the logistic objectives, base_score itself for binary:logitraw. */
  readonly baseMargin: number;
  /** Feature (trait) names the splits read; `splitFeature` indexes into it. */
  readonly features: readonly string[];
  /** Index of each tree's root node. */
  readonly roots: Int32Array;
  readonly splitFeature: Int32Array;
  readonly threshold: Float32Array;
  readonly yes: Int32Array;
  readonly no: Int32Array;
  readonly missing: Int32Array;
  readonly leafValue: Float64Array;
  /** Reused per call for the feature values (NaN = missing); internal to `predict`. */
  readonly scratch: Float64Array;
}

/** The compiled form of a model file. */
export type Model = LogisticModel | TreeEnsemble;

/** Feature values by name; `undefined`, NaN or a non-number is missing. */
export type FeatureValues = Readonly<Record<string, number | undefined>>;

/**
 * The model's output for one feature vector: a probability in [0, 1] for logistic models and the
 * binary:logistic / reg:logistic objectives, the raw margin for binary:logitraw.
 */
export function predict(model: Model, features: FeatureValues): number {
  switch (model.kind) {
    case 'logistic':
      return sigmoid(logisticMargin(model, features));
    case 'trees': {
      const margin = treesMargin(model, features);
      return model.output === 'margin' ? margin : sigmoid(margin);
    }
    default:
      return assertNever(model, 'model');
  }
}

/** The feature (trait) names the model reads, sorted, so the engine can check they exist. */
export function modelFeatures(model: Model): string[] {
  return [...model.features].sort();
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** A present feature value, or NaN when it is missing. */
function valueOf(features: FeatureValues, name: string): number {
  const value = features[name];
  return typeof value === 'number' ? value : NaN;
}

function logisticMargin(model: LogisticModel, features: FeatureValues): number {
  let margin = model.intercept;
  for (let i = 0; i < model.features.length; i++) {
    margin += model.coefficients[i]! * transformed(model, i, valueOf(features, model.features[i]!));
  }
  return margin;
}

/** default (when missing or not finite) -> clip -> log1p -> scale. */
function transformed(model: LogisticModel, i: number, raw: number): number {
  let x = Number.isFinite(raw) ? raw : model.defaults[i]!;
  x = Math.min(Math.max(x, model.clipMin[i]!), model.clipMax[i]!);
  if (model.log1p[i] === 1) x = Math.log1p(Math.max(x, 0));
  return (x - model.mean[i]!) / model.std[i]!;
}

function treesMargin(model: TreeEnsemble, features: FeatureValues): number {
  const values = model.scratch;
  for (let f = 0; f < model.features.length; f++) values[f] = valueOf(features, model.features[f]!);
  let margin = model.baseMargin;
  for (let t = 0; t < model.roots.length; t++)
    margin += model.leafValue[leafOf(model, model.roots[t]!, values)]!;
  return margin;
}

function leafOf(model: TreeEnsemble, root: number, values: Float64Array): number {
  let node = root;
  let feature = model.splitFeature[node]!;
  while (feature >= 0) {
    const value = values[feature]!;
    if (Number.isNaN(value)) node = model.missing[node]!;
    else node = Math.fround(value) < model.threshold[node]! ? model.yes[node]! : model.no[node]!;
    feature = model.splitFeature[node]!;
  }
  return node;
}
