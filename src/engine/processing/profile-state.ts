import type { Contributions } from '../budget/contribution.js';
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

import type { AudienceRules } from '../rules/rules.js';
import type { PerformedState } from '../rules/performed-state.js';

export type { AudienceRules, PerformedState };

/**
 * A profile's stored state: the engine's trait state; per computed trait, the hash of the definition
 * that state was built with (a trait whose definition changed is reset before its next event and
 * rebuilt from history by the backfill); the rule engine's `performed` state; the audience
 * memberships and synced trait values last written to the outbox (what the next change is diffed
 * against); and what the profile adds to the budget audiences' running sums, as last committed.
 */
export interface ProfileState extends ProfileTraits {
  definitions: Record<string, string>;
  performed: PerformedState;
  memberships: Record<string, boolean>;
  /** Synced trait name -> JSON text of the value last written to the outbox. */
  synced: Record<string, string>;
  /** Budget audience -> this member's probability and order value in the running sums (contribution.ts). */
  budget?: Contributions;
}

/** The trait definitions in force: the full engine, one engine per trait, and each definition's hash. */
export interface TraitSetup {
  engine: TraitComputer & { nextChangeAt(state: ProfileTraits, now: number): number | undefined };
  single: Record<string, TraitComputer>;
  hashes: Record<string, string>;
  allowedLatenessMs: number;
}

export function parseProfileState(text: string, setup: TraitSetup): ProfileState {
  const parsed = JSON.parse(text) as Partial<ProfileState>;
  if (!parsed.computed || !parsed.plain) return emptyProfileState(setup);
  return {
    computed: parsed.computed,
    plain: parsed.plain,
    definitions: parsed.definitions ?? {},
    performed: parsed.performed ?? {},
    memberships: parsed.memberships ?? {},
    synced: parsed.synced ?? {},
    ...(parsed.budget === undefined ? {} : { budget: parsed.budget }),
  };
}

export function emptyProfileState(setup: TraitSetup): ProfileState {
  return {
    ...setup.engine.emptyState(),
    definitions: { ...setup.hashes },
    performed: {},
    memberships: {},
    synced: {},
  };
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
  rules: AudienceRules,
  now: number,
): ProfileState {
  const aligned = alignWithDefinitions(state, setup);
  const next = setup.engine.applyEvent(aligned, event, { now, allowedLatenessMs: setup.allowedLatenessMs });
  const performed = rules.applyEvent(aligned.performed, event, now);
  return { ...aligned, computed: next.computed, plain: next.plain, performed };
}

/** Both profiles as one person; memberships and synced values stay the surviving profile's (diffed next). */
export function mergeProfiles(
  into: ProfileState,
  from: ProfileState,
  setup: TraitSetup,
  rules: AudienceRules,
): ProfileState {
  const a = alignWithDefinitions(into, setup);
  const b = alignWithDefinitions(from, setup);
  const performed = rules.merge(a.performed, b.performed);
  const merged = setup.engine.merge(a, b);
  return { ...a, computed: merged.computed, plain: merged.plain, performed };
}
