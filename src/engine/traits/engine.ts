import type { TraitDefinition } from '../../mappings/traits-schema.js';
import { valueAtPath } from '../conditions/path.js';
import type { Model } from '../models/predict.js';
import { bindTrait, type BoundTrait } from './kinds.js';
import { bindModel, publishModel, type BoundModel } from './model.js';
import { applyPlainTraits, mergePlainTraits } from './plain-traits.js';
import type { ScoreValue } from './score.js';
import type { ApplyContext, EngineEvent, ProfileTraits } from './types.js';

export interface TraitEngineOptions {
  /** Reads and compiles a model file (e.g. `loadModelFile`); called once per model trait, here. */
  loadModel: (file: string) => Model;
}

export interface ApplyOptions {
  /** Processing time, epoch ms. When replaying stored events, pass each event's receivedAt. */
  now: number;
  allowedLatenessMs: number;
}

/**
 * The computed-trait engine: pure, incremental, over JSON-serialisable state.
 * For speed, `applyEvent` and `merge` CHANGE the state given first and return it; `merge` may also
 * reuse parts of its second argument, which must not be used afterwards.
 */
export interface TraitEngine {
  /** Every trait name, in definition order. */
  readonly names: readonly string[];
  emptyState(): ProfileTraits;
  applyEvent(state: ProfileTraits, event: EngineEvent, options: ApplyOptions): ProfileTraits;
  /** Both profiles as if every event had belonged to one person; returns `a`, changed. */
  merge(a: ProfileTraits, b: ProfileTraits): ProfileTraits;
  /**
   * Plain traits, then computed traits (a computed trait shadows a plain one of the same name), then
   * models (each with `.model`, `.reasons` and, with a shadow model, `.shadow`: src/engine/traits/model.ts).
   */
  values(state: ProfileTraits, now: number): Record<string, unknown>;
  /** Earliest instant after `now` at which a value can change with time alone (best effort). */
  nextChangeAt(state: ProfileTraits, now: number): number | undefined;
}

/** Throws when a model file cannot be loaded (the error names the file and field): a startup failure. */
export function createTraitEngine(
  defs: Record<string, TraitDefinition>,
  options: TraitEngineOptions,
): TraitEngine {
  const computed: BoundTrait[] = [];
  const models: BoundModel[] = [];
  for (const [name, definition] of Object.entries(defs)) {
    if (definition.kind === 'model') models.push(bindModel(name, definition, options.loadModel));
    else computed.push(bindTrait(name, definition));
  }
  // Scores go last so their trait conditions see values this event has just updated.
  const applyOrder = [...computed.filter(isNotScore), ...computed.filter((trait) => !isNotScore(trait))];
  const byName = new Map(computed.map((trait) => [trait.name, trait]));

  const stateOf = (state: ProfileTraits, trait: BoundTrait): unknown =>
    state.computed[trait.name] ?? trait.init();

  /** A trait's value during apply, for score conditions; model traits are not available there. */
  const lookup = (state: ProfileTraits, path: string, now: number): unknown => {
    const trait = byName.get(path);
    if (trait !== undefined) return publishedValue(trait, trait.value(stateOf(state, trait), now));
    const reasonsOf = path.endsWith('.reasons') ? byName.get(path.slice(0, -'.reasons'.length)) : undefined;
    if (reasonsOf?.definition.kind === 'score')
      return (reasonsOf.value(stateOf(state, reasonsOf), now) as ScoreValue).reasons;
    if (Object.hasOwn(state.plain, path)) return state.plain[path]?.value;
    const dot = path.indexOf('.');
    return dot === -1 ? undefined : valueAtPath(lookup(state, path.slice(0, dot), now), path.slice(dot + 1));
  };

  return {
    names: Object.keys(defs),
    emptyState: () => ({ computed: {}, plain: {} }),
    applyEvent(state, event, options) {
      applyPlainTraits(state.plain, event);
      const ctx: ApplyContext = {
        now: options.now,
        allowedLatenessMs: options.allowedLatenessMs,
        traits: (path) => lookup(state, path, options.now),
      };
      for (const trait of applyOrder)
        state.computed[trait.name] = trait.apply(stateOf(state, trait), event, ctx);
      return state;
    },
    merge(a, b) {
      for (const trait of computed) {
        const left = a.computed[trait.name];
        const right = b.computed[trait.name];
        if (right === undefined) continue;
        a.computed[trait.name] = left === undefined ? right : trait.merge(left, right);
      }
      mergePlainTraits(a.plain, b.plain);
      return a;
    },
    values(state, now) {
      const values: Record<string, unknown> = {};
      for (const [name, trait] of Object.entries(state.plain)) values[name] = trait.value;
      for (const trait of computed) publish(values, trait, trait.value(stateOf(state, trait), now));
      for (const model of models) publishModel(values, model);
      return values;
    },
    nextChangeAt(state, now) {
      let next: number | undefined;
      for (const trait of computed) {
        const stored = state.computed[trait.name];
        const at = stored === undefined ? undefined : trait.nextChangeAt(stored, now);
        if (at !== undefined && (next === undefined || at < next)) next = at;
      }
      return next;
    },
  };
}

function isNotScore(trait: BoundTrait): boolean {
  return trait.definition.kind !== 'score';
}

/** A score publishes `name` (the number) and `name.reasons`; every other kind its value under `name`. */
function publish(values: Record<string, unknown>, trait: BoundTrait, value: unknown): void {
  if (trait.definition.kind === 'score') {
    values[trait.name] = (value as ScoreValue).score;
    values[`${trait.name}.reasons`] = (value as ScoreValue).reasons;
  } else {
    values[trait.name] = value;
  }
}

function publishedValue(trait: BoundTrait, value: unknown): unknown {
  return trait.definition.kind === 'score' ? (value as ScoreValue).score : value;
}

export { traitAt } from './trait-path.js';
export { engineEventFromStored } from './engine-event.js';
export type { ApplyContext, EngineEvent, PlainTrait, ProfileTraits } from './types.js';
export { traitDependencies } from './dependencies.js';
