import { contributionsOf, type BudgetValueSpec } from '../budget/contribution.js';
import { traitAt } from '../traits/trait-path.js';
import type { MembershipCause, MembershipChange, OutboxRow } from '../../store/profile-port.js';
import type { ProfileDraft } from '../../identity/working-set.js';
import type { AudienceRules, ProfileState, TraitSetup } from './profile-state.js';

export interface SettleSetup {
  traits: TraitSetup;
  rules: AudienceRules;
  /** Trait names (or dotted paths) some destination syncs: their changes go to the outbox. */
  syncedTraits: readonly string[];
  /** False while a backfill has not reached this profile for this audience or trait yet. */
  isSettled: (name: string, profileId: string) => boolean;
  /** How the budget audiences read their members' values (none without `budget:`). */
  budget?: readonly BudgetValueSpec[];
}

/** What a settle step comes from: the membership changes it finds are recorded with this cause. */
export interface Cause {
  /** `config` is found by settling itself (an audience no longer configured). */
  kind: Exclude<MembershipCause, 'config'>;
  eventReceivedAt: number | null;
  messageId: string | null;
}

export interface Settled {
  outbox: OutboxRow[];
  memberships: MembershipChange[];
}

/**
 * Re-evaluates a profile's audiences and synced traits at `now`, records what changed since the
 * last outbox write (entered / exited / new trait value) and when time alone can next change it.
 * The rows are committed in the same transaction as the state they come from.
 */
export function settleProfile(
  profile: ProfileDraft<ProfileState>,
  setup: SettleSetup,
  now: number,
  cause: Cause,
  into: Settled,
): void {
  const state = profile.state;
  const values = setup.traits.engine.values(state, now);
  const { memberships, nextFlipAt } = setup.rules.evaluate(values, state.performed, now);
  const version = profile.version + 1;
  const row = (kind: OutboxRow['kind'], name: string, value: string): OutboxRow => ({
    profileId: profile.id,
    kind,
    name,
    value,
    profileVersion: version,
    at: now,
    eventReceivedAt: cause.eventReceivedAt,
    messageId: cause.messageId,
  });
  const change = (audience: string, member: boolean, why: MembershipCause): MembershipChange => ({
    audience,
    profileId: profile.id,
    member,
    at: now,
    cause: why,
    messageId: why === 'config' ? null : cause.messageId,
  });
  for (const [audience, member] of Object.entries(memberships)) {
    if (!setup.isSettled(`audience:${audience}`, profile.id)) continue;
    if ((state.memberships[audience] ?? false) === member) continue;
    if (member) state.memberships[audience] = true;
    else delete state.memberships[audience];
    into.outbox.push(row('audience', audience, String(member)));
    into.memberships.push(change(audience, member, cause.kind));
  }
  for (const audience of Object.keys(state.memberships)) {
    if (memberships[audience] !== undefined) continue; // an audience removed from the configuration
    delete state.memberships[audience];
    into.memberships.push(change(audience, false, 'config'));
  }
  for (const name of setup.syncedTraits) {
    if (!setup.isSettled(`trait:${name.split('.')[0]}`, profile.id)) continue;
    const text = JSON.stringify(traitAt(values, name) ?? null);
    if ((state.synced[name] ?? 'null') === text) continue; // a trait that never had a value is not a change
    state.synced[name] = text;
    into.outbox.push(row('trait', name, text));
  }
  settleContributions(state, values, setup.budget ?? []);
  profile.nextWakeAt = earliest(setup.traits.engine.nextChangeAt(state, now), nextFlipAt);
}

/**
 * The profile's contribution to the budget sums, from the memberships just settled and the values at
 * `now`; the commit adds the difference to what was stored (profile-working-set.ts).
 */
function settleContributions(
  state: ProfileState,
  values: Record<string, unknown>,
  specs: readonly BudgetValueSpec[],
): void {
  const contributions = contributionsOf(values, state.memberships, specs);
  if (Object.keys(contributions).length > 0) state.budget = contributions;
  else delete state.budget;
}

function earliest(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined) return b ?? null;
  if (b === undefined) return a;
  return Math.min(a, b);
}
