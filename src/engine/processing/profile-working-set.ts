import { IdentityWorkingSet } from '../../identity/working-set.js';
import type { ProfileRecord } from '../../store/profile-port.js';
import type { AudienceRules, ProfileState, TraitSetup } from './profile-state.js';
import { emptyProfileState, mergeProfiles, parseProfileState } from './profile-state.js';
import { exitAll, type Settled } from './settle.js';

/** An identity working set over profile states, recording merged-away profiles' exits in `settled`. */
export function profileWorkingSet(
  owners: Map<string, string>,
  loaded: ProfileRecord[],
  setup: { traits: TraitSetup; rules: AudienceRules },
  now: number,
  settled: Settled,
): IdentityWorkingSet<ProfileState> {
  return new IdentityWorkingSet<ProfileState>(owners, loaded, {
    parseState: (text) => parseProfileState(text, setup.traits),
    emptyState: () => emptyProfileState(setup.traits),
    mergeStates: (into, from) => mergeProfiles(into, from, setup.traits, setup.rules),
    serializeState: (state) => JSON.stringify(state),
    beforeMerge: (_into, from, event) =>
      exitAll(from, now, { eventReceivedAt: event.receivedAt, messageId: event.messageId }, settled),
  });
}
