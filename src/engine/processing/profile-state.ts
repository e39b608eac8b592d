import type { EngineEvent, ProfileTraits } from '../traits/types.js';

/** What processing needs of the trait engine (`createTraitEngine` satisfies it). */
export interface TraitComputer {
  emptyState(): ProfileTraits;
  applyEvent(
    state: ProfileTraits,
    event: EngineEvent,
    ctx: { now: number; allowedLatenessMs: number },
  ): ProfileTraits;
  merge(a: ProfileTraits, b: ProfileTraits): ProfileTraits;
  values(state: ProfileTraits, now: number): Record<string, unknown>;
}

/**
 * A profile's stored state: the engine's trait state plus, per computed trait, the hash of the
 * definition that state was built with. A trait whose definition changed is reset before its next
 * event and rebuilt from history by the backfill.
 */
export interface ProfileState extends ProfileTraits {
  definitions: Record<string, string>;
}

/** The trait definitions in force: the full engine, one engine per trait, and each definition's hash. */
export interface TraitSetup {
  engine: TraitComputer;
  single: Record<string, TraitComputer>;
  hashes: Record<string, string>;
  allowedLatenessMs: number;
}

export function parseProfileState(text: string, setup: TraitSetup): ProfileState {
  const parsed = JSON.parse(text) as Partial<ProfileState>;
  if (!parsed.computed || !parsed.plain) return emptyProfileState(setup);
  return { computed: parsed.computed, plain: parsed.plain, definitions: parsed.definitions ?? {} };
}

export function emptyProfileState(setup: TraitSetup): ProfileState {
  return { ...setup.engine.emptyState(), definitions: { ...setup.hashes } };
}

/** Resets traits whose definition changed (or is new) since this state was built; drops removed ones. */
export function alignWithDefinitions(state: ProfileState, setup: TraitSetup): ProfileState {
  for (const [name, hash] of Object.entries(setup.hashes)) {
    if (state.definitions[name] === hash) continue;
    state.computed[name] = setup.single[name]?.emptyState().computed[name];
    state.definitions[name] = hash;
  }
  for (const name of Object.keys(state.definitions)) {
    if (setup.hashes[name] !== undefined) continue;
    delete state.computed[name];
    delete state.definitions[name];
  }
  return state;
}

export function applyToProfile(
  state: ProfileState,
  event: EngineEvent,
  setup: TraitSetup,
  now: number,
): ProfileState {
  const aligned = alignWithDefinitions(state, setup);
  const next = setup.engine.applyEvent(aligned, event, { now, allowedLatenessMs: setup.allowedLatenessMs });
  return { ...next, definitions: aligned.definitions };
}

export function mergeProfiles(into: ProfileState, from: ProfileState, setup: TraitSetup): ProfileState {
  const a = alignWithDefinitions(into, setup);
  const b = alignWithDefinitions(from, setup);
  return { ...setup.engine.merge(a, b), definitions: a.definitions };
}
