import { parseProfileState, type TraitSetup } from '../engine/processing/profile-state.js';
import type { RelayStore } from '../store/port.js';
import type { IdentifierRef, MergeRecord } from '../store/profile-port.js';

export interface ProfileView {
  profileId: string;
  createdAt: string;
  updatedAt: string;
  identifiers: IdentifierRef[];
  traits: Record<string, unknown>;
  timeline: TimelineEntry[];
  merges: (Omit<MergeRecord, 'at'> & { at: string })[];
}

export interface TimelineEntry {
  messageId: string;
  source: string;
  type: string;
  event?: unknown;
  name?: unknown;
  timestamp: string;
  receivedAt: string;
}

/** A person as an operator asks about them: who, what we computed, what they did, what was merged. */
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
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
