import { assertNever } from '../../lib/assert-never.js';
import type { ProbabilityFromScore } from '../../mappings/budget-schema.js';
import type { TraitDefinition } from '../../mappings/traits-schema.js';

/**
 * A member's conversion probability from its `value.probability` trait. A rule score (points) goes
 * through `budget.probability_from_score`:
 * - `logistic: { midpoint, scale }`: p = 1 / (1 + e^(-(points - midpoint) / scale)), so the midpoint
 *   is p = 0.5 and `scale` points further is p = 0.73;
 * - `linear: { min, max }`: p = (points - min) / (max - min).
 * A model whose output is a margin (`binary:logitraw`) goes through 1 / (1 + e^-margin). Any other
 * trait (a model score) is read as a probability. Every result is clamped to [0, 1]; a value that is
 * not a finite number is no probability (the member counts 0).
 */

export type ProbabilitySource =
  { kind: 'probability' } | { kind: 'margin' } | { kind: 'score'; mapping: ProbabilityFromScore };

/**
 * How the trait named by `value.probability` is read: `trait` is its definition (if computed),
 * `modelOutput` what its model file outputs (known once the model is loaded).
 */
export function probabilitySourceOf(
  trait: TraitDefinition | undefined,
  mapping: ProbabilityFromScore | undefined,
  modelOutput: 'probability' | 'margin' = 'probability',
): ProbabilitySource {
  if (trait?.kind === 'score' && mapping !== undefined) return { kind: 'score', mapping };
  if (trait?.kind === 'model' && modelOutput === 'margin') return { kind: 'margin' };
  return { kind: 'probability' };
}

export function scoreToProbability(points: number, mapping: ProbabilityFromScore): number {
  switch (mapping.kind) {
    case 'logistic':
      return clampProbability(1 / (1 + Math.exp(-(points - mapping.midpoint) / mapping.scale)));
    case 'linear':
      return clampProbability((points - mapping.min) / (mapping.max - mapping.min));
    default:
      return assertNever(mapping, 'probability mapping');
  }
}

export function probabilityOf(value: unknown, source: ProbabilitySource): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  switch (source.kind) {
    case 'score':
      return scoreToProbability(value, source.mapping);
    case 'margin':
      return clampProbability(1 / (1 + Math.exp(-value)));
    case 'probability':
      return clampProbability(value);
    default:
      return assertNever(source, 'probability source');
  }
}

/** An order value is any finite number (negative ones lower the average). */
export function orderValueOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function clampProbability(value: number): number {
  return Math.min(1, Math.max(0, value));
}
