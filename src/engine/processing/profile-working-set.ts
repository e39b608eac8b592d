import { IdentityWorkingSet } from '../../identity/working-set.js';
import type { ProcessingCommit, ProfileRecord } from '../../store/profile-port.js';
import { sumsDeltas, type Contributions } from '../budget/contribution.js';
import type { AudienceRules, ProfileState, TraitSetup } from './profile-state.js';
import { emptyProfileState, mergeProfiles, parseProfileState } from './profile-state.js';

/**
 * An identity working set over profile states. Its commit also carries the budget sums' changes:
 * each loaded profile's contributions as stored before the step against those it stores now (none
 * once merged away), and a new profile's from none, so the sums move in the same transaction as the
 * states they add up.
 */
export class ProfileWorkingSet extends IdentityWorkingSet<ProfileState> {
  private readonly storedContributions: Map<string, Contributions | undefined>;

  constructor(
    owners: Map<string, string>,
    loaded: ProfileRecord[],
    setup: { traits: TraitSetup; rules: AudienceRules },
  ) {
    super(owners, loaded, {
      parseState: (text) => parseProfileState(text, setup.traits),
      emptyState: () => emptyProfileState(setup.traits),
      mergeStates: (into, from) => mergeProfiles(into, from, setup.traits, setup.rules),
      serializeState: (state) => JSON.stringify(state),
    });
    // Settling replaces `state.budget` (never changes it in place): these stay as loaded.
    this.storedContributions = new Map(
      loaded.map((record) => [record.id, this.profile(record.id)?.state.budget]),
    );
  }

  override toCommit(
    cursor: ProcessingCommit['cursor'] | undefined,
    profileEvents: ProcessingCommit['profileEvents'],
  ): ProcessingCommit {
    const commit = super.toCommit(cursor, profileEvents);
    const changes: [Contributions | undefined, Contributions | undefined][] = [];
    for (const [id, before] of this.storedContributions)
      changes.push([before, this.profile(id)?.state.budget]);
    for (const { id } of commit.profiles)
      if (!this.storedContributions.has(id)) changes.push([undefined, this.profile(id)?.state.budget]);
    const budget = sumsDeltas(changes);
    return budget.length > 0 ? { ...commit, budget } : commit;
  }
}

export function profileWorkingSet(
  owners: Map<string, string>,
  loaded: ProfileRecord[],
  setup: { traits: TraitSetup; rules: AudienceRules },
): ProfileWorkingSet {
  return new ProfileWorkingSet(owners, loaded, setup);
}
