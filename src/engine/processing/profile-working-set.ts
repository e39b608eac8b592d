import { IdentityWorkingSet } from '../../identity/working-set.js';
import type { ProfileRecord } from '../../store/profile-port.js';
import type { AudienceRules, ProfileState, TraitSetup } from './profile-state.js';
import { emptyProfileState, mergeProfiles, parseProfileState } from './profile-state.js';

/** An identity working set over profile states. */
export function profileWorkingSet(
  owners: Map<string, string>,
  loaded: ProfileRecord[],
  setup: { traits: TraitSetup; rules: AudienceRules },
): IdentityWorkingSet<ProfileState> {
  return new IdentityWorkingSet<ProfileState>(owners, loaded, {
    parseState: (text) => parseProfileState(text, setup.traits),
    emptyState: () => emptyProfileState(setup.traits),
    mergeStates: (into, from) => mergeProfiles(into, from, setup.traits, setup.rules),
    serializeState: (state) => JSON.stringify(state),
  });
}
