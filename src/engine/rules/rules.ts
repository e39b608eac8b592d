import type { AudienceDefinition } from '../../mappings/audiences-schema.js';
import type { EngineEvent } from '../traits/types.js';
import { compileAudiences, type CompiledAudiences } from './compile.js';
import { evaluateAudiences, type EvaluationResult } from './evaluate.js';
import { explainAudience, type ExplainNode } from './explain.js';
import {
  alignPerformed,
  applyEventToPerformed,
  emptyPerformed,
  mergePerformed,
  rebuildPerformed,
  type PerformedState,
} from './performed-state.js';

/**
 * The rule engine bound to one configuration, shaped for processing (same conventions as the trait
 * engine: state-changing calls change the state given first and return it).
 */
export interface AudienceRules {
  readonly compiled: CompiledAudiences;
  /** Every audience name, in definition order. */
  readonly names: readonly string[];
  /** Keys of the performed state this configuration uses. */
  readonly performedKeys: readonly string[];
  emptyPerformed(): PerformedState;
  applyEvent(performed: PerformedState, event: EngineEvent, now: number): PerformedState;
  merge(a: PerformedState, b: PerformedState): PerformedState;
  align(performed: PerformedState): { state: PerformedState; missing: string[] };
  rebuild(events: Iterable<EngineEvent>, now: number, keys?: readonly string[]): PerformedState;
  evaluate(traits: Record<string, unknown>, performed: PerformedState, now: number): EvaluationResult;
  explain(
    name: string,
    traits: Record<string, unknown>,
    performed: PerformedState,
    now: number,
  ): ExplainNode | undefined;
}

export function createAudienceRules(defs: Record<string, AudienceDefinition>): AudienceRules {
  const compiled = compileAudiences(defs);
  return {
    compiled,
    names: compiled.names,
    performedKeys: compiled.performed.map((spec) => spec.key),
    emptyPerformed: () => emptyPerformed(compiled),
    applyEvent: (performed, event, now) => applyEventToPerformed(compiled, performed, event, now),
    merge: (a, b) => mergePerformed(compiled, a, b),
    align: (performed) => alignPerformed(compiled, performed),
    rebuild: (events, now, keys) => rebuildPerformed(compiled, events, now, keys),
    evaluate: (traits, performed, now) => evaluateAudiences(compiled, { traits, performed, now }),
    explain: (name, traits, performed, now) => explainAudience(compiled, name, { traits, performed, now }),
  };
}
