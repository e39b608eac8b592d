/**
 * The audience rule engine (docs/audiences.md): pure, no I/O. Compile the definitions once per
 * configuration; per profile keep `PerformedState` next to the trait state; after every event (and
 * when `nextFlipAt` is due) evaluate from the trait values, the performed state and the clock.
 */
export {
  compileAudiences,
  timestampsNeeded,
  type CompiledAudience,
  type CompiledAudiences,
  type CompiledCondition,
  type PerformedSpec,
} from './compile.js';
export {
  alignPerformed,
  applyEventToPerformed,
  emptyPerformed,
  mergePerformed,
  prunePerformed,
  rebuildPerformed,
  type PerformedState,
} from './performed-state.js';
export { evaluateAudiences, type EvaluationInput, type EvaluationResult } from './evaluate.js';
export { explainAudience, type ExplainNode } from './explain.js';
export { createAudienceRules, type AudienceRules } from './rules.js';
