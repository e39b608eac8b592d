import { parseProfileState, type TraitSetup } from '../engine/processing/profile-state.js';
import type { RelayStore } from '../store/port.js';
import type { IdentifierRef, MembershipCause, MergeRecord } from '../store/profile-port.js';

/** Membership changes the profile view shows, and how far back it looks for each audience's last exit. */
const HISTORY_SHOWN = 50;
const HISTORY_SCANNED = 1000;

export interface ProfileView {
  profileId: string;
  createdAt: string;
  updatedAt: string;
  identifiers: IdentifierRef[];
  traits: Record<string, unknown>;
  timeline: TimelineEntry[];
  merges: (Omit<MergeRecord, 'at'> & { at: string })[];
  /** The audiences the person is in now, by name. */
  memberships: { audience: string; enteredAt: string }[];
  /** For each audience the person was in but is not now: when and why they last left it, by name. */
  lastExits: MembershipExit[];
  /** Entries and exits, newest first (the last 50). */
  membershipHistory: MembershipHistoryEntry[];
}

export interface MembershipHistoryEntry {
  audience: string;
  member: boolean;
  at: string;
  cause: MembershipCause;
  /** The event that caused it (causes `event` and `merge`). */
  messageId: string | null;
}

export type MembershipExit = Omit<MembershipHistoryEntry, 'member'>;

export interface TimelineEntry {
  messageId: string;
  source: string;
  type: string;
  event?: unknown;
  name?: unknown;
  timestamp: string;
  receivedAt: string;
}

/**
 * A person as an operator asks about them: who, what we computed, what they did, what was merged, which
 * audiences they are in since when, and when and why they entered or left each.
 */
export async function viewProfile(
  store: RelayStore,
  traits: TraitSetup,
  ref: IdentifierRef,
  now: number,
  timelineLimit = 50,
): Promise<ProfileView | undefined> {
  const lookup = ref.kind === 'email' ? { ...ref, value: ref.value.trim().toLowerCase() } : ref;
  const [profileId] = [...(await store.findProfileIds([lookup])).values()];
  if (profileId === undefined) return undefined;
  const [profile] = await store.loadProfiles([profileId]);
  if (!profile) return undefined;
  const state = parseProfileState(profile.state, traits);
  const events = await store.readEventsBySeq(await store.profileEventSeqs(profileId, timelineLimit));
  const merges = await store.mergesOf(profileId);
  const current = await store.membershipsOf(profileId);
  const history = (await store.membershipHistory(profileId, HISTORY_SCANNED)).map((change) => ({
    audience: change.audience,
    member: change.member,
    at: iso(change.at),
    cause: change.cause,
    messageId: change.messageId,
  }));
  return {
    profileId,
    createdAt: iso(profile.createdAt),
    updatedAt: iso(profile.updatedAt),
    identifiers: profile.identifiers,
    traits: traits.engine.values(state, now),
    timeline: events.reverse().map((event) => ({
      messageId: event.messageId,
      source: event.source,
      type: event.type,
      event: event.body.event,
      name: event.body.name,
      timestamp: iso(event.eventTime),
      receivedAt: iso(event.receivedAt),
    })),
    merges: merges.map((merge) => ({ ...merge, at: iso(merge.at) })),
    memberships: current.map((membership) => ({
      audience: membership.audience,
      enteredAt: iso(membership.since),
    })),
    lastExits: lastExits(history, new Set(current.map((membership) => membership.audience))),
    membershipHistory: history.slice(0, HISTORY_SHOWN),
  };
}

/** The newest exit of every audience not in `current`, from a newest-first history. */
function lastExits(history: MembershipHistoryEntry[], current: Set<string>): MembershipExit[] {
  const exits = new Map<string, MembershipExit>();
  for (const { audience, member, at, cause, messageId } of history) {
    if (member || current.has(audience) || exits.has(audience)) continue;
    exits.set(audience, { audience, at, cause, messageId });
  }
  return [...exits.values()].sort((a, b) => (a.audience < b.audience ? -1 : 1));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
