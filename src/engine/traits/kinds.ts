import type { ModelTrait, TraitDefinition } from '../../mappings/traits-schema.js';
import { assertNever } from '../../lib/assert-never.js';
import { activeDaysKind } from './active-days.js';
import { countKind } from './count.js';
import { distinctKind } from './distinct.js';
import { firstKind, lastKind } from './first-last.js';
import { maxKind, minKind } from './min-max.js';
import { mostFrequentKind } from './most-frequent.js';
import { rfmKind } from './rfm.js';
import { scoreKind } from './score.js';
import { sinceKind } from './since.js';
import { avgKind, sumKind } from './sum-avg.js';
import type { ApplyContext, EngineEvent, TraitKind } from './types.js';

/** Every kind with incremental state; model traits are computed from the others' values instead. */
export type ComputedTraitDefinition = Exclude<TraitDefinition, ModelTrait>;

/** One trait's kind bound to its definition, over untyped (stored) state. */
export interface BoundTrait {
  readonly name: string;
  readonly definition: ComputedTraitDefinition;
  init(): unknown;
  apply(state: unknown, event: EngineEvent, ctx: ApplyContext): unknown;
  merge(a: unknown, b: unknown): unknown;
  value(state: unknown, now: number): unknown;
  nextChangeAt(state: unknown, now: number): number | undefined;
}

export function bindTrait(name: string, definition: ComputedTraitDefinition): BoundTrait {
  switch (definition.kind) {
    case 'count':
      return bind(name, definition, countKind);
    case 'sum':
      return bind(name, definition, sumKind);
    case 'min':
      return bind(name, definition, minKind);
    case 'max':
      return bind(name, definition, maxKind);
    case 'avg':
      return bind(name, definition, avgKind);
    case 'first':
      return bind(name, definition, firstKind);
    case 'last':
      return bind(name, definition, lastKind);
    case 'most_frequent':
      return bind(name, definition, mostFrequentKind);
    case 'distinct':
      return bind(name, definition, distinctKind);
    case 'active_days':
      return bind(name, definition, activeDaysKind);
    case 'since':
      return bind(name, definition, sinceKind);
    case 'rfm':
      return bind(name, definition, rfmKind);
    case 'score':
      return bind(name, definition, scoreKind);
    default:
      return assertNever(definition, 'trait kind');
  }
}

/** States come from the store as the kind wrote them, so the one cast to the kind's state lives here. */
function bind<D extends ComputedTraitDefinition, S>(name: string, def: D, kind: TraitKind<D, S>): BoundTrait {
  return {
    name,
    definition: def,
    init: () => kind.init(def),
    apply: (state, event, ctx) => kind.apply(def, state as S, event, ctx),
    merge: (a, b) => kind.merge(def, a as S, b as S),
    value: (state, now) => kind.value(def, state as S, now),
    nextChangeAt: (state, now) => kind.nextChangeAt(def, state as S, now),
  };
}
