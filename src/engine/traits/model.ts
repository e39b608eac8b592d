import { predict, type FeatureValues, type Model } from '../models/predict.js';
import { traitAt } from './trait-path.js';

/**
 * Model features are the model's feature names read as trait paths: numbers as they are, booleans as
 * 1 / 0, anything else (missing, strings, objects) as missing, which the model handles (docs/models.md).
 */
export function featureValues(model: Model, values: Record<string, unknown>): FeatureValues {
  const features: Record<string, number | undefined> = {};
  for (const name of model.features) features[name] = asFeature(traitAt(values, name));
  return features;
}

export function modelValue(model: Model, values: Record<string, unknown>): number {
  return predict(model, featureValues(model, values));
}

function asFeature(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return undefined;
}
