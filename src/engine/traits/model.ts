import type { ModelTrait } from '../../mappings/traits-schema.js';
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

/** A model file as a score records it: the file as written in the mapping, its version and hash. */
export interface ModelFileRecord {
  file: string;
  version: string | null;
  hash: string;
}

/** What `<trait>.model` holds: the live model's file, and the shadow's when there is one. */
export interface ModelRecord extends ModelFileRecord {
  shadow?: ModelFileRecord;
}

/** A model trait with its compiled live model and, optionally, the shadow scored beside it. */
export interface BoundModel {
  readonly name: string;
  readonly live: { file: string; model: Model };
  readonly shadow?: { file: string; model: Model };
}

export function bindModel(name: string, def: ModelTrait, load: (file: string) => Model): BoundModel {
  const live = { file: def.file, model: load(def.file) };
  return def.shadow === undefined
    ? { name, live }
    : { name, live, shadow: { file: def.shadow, model: load(def.shadow) } };
}

/**
 * Publishes a model trait: `<name>` (the live score, what audiences read), `<name>.model` (which
 * file, version and hash scored it), `<name>.reasons` (the same in words) and, with a shadow model,
 * `<name>.shadow` (its score, for comparison only). Both models read the same values.
 */
export function publishModel(values: Record<string, unknown>, bound: BoundModel): void {
  const { name, live, shadow } = bound;
  const shadowScore = shadow === undefined ? undefined : modelValue(shadow.model, values);
  values[name] = modelValue(live.model, values);
  const record: ModelRecord = recordOf(live);
  if (shadow !== undefined) record.shadow = recordOf(shadow);
  values[`${name}.model`] = record;
  values[`${name}.reasons`] = [modelReason(record)];
  if (shadowScore !== undefined) values[`${name}.shadow`] = shadowScore;
}

/** `scored by models/p_convert.json (version 2025-06-01, sha256 1a2b3c4d5e6f7a8b)`. */
export function modelReason(record: ModelFileRecord): string {
  const version = record.version === null ? '' : `version ${record.version}, `;
  return `scored by ${record.file} (${version}sha256 ${record.hash})`;
}

function recordOf({ file, model }: { file: string; model: Model }): ModelFileRecord {
  return { file, version: model.identity.version, hash: model.identity.hash };
}
