import { sha256Hex } from '../lib/hash.js';
import type { StoredEvent } from '../store/port.js';
import {
  identifierKey,
  type IdentifierRef,
  type MergeRecord,
  type ProcessingCommit,
  type ProfileRecord,
} from '../store/profile-port.js';

export interface ProfileDraft<S> {
  id: string;
  state: S;
  version: number;
  createdAt: number;
  updatedAt: number;
  nextWakeAt: number | null;
  identifiers: IdentifierRef[];
}

export interface WorkingSetDeps<S> {
  parseState: (text: string) => S;
  emptyState: () => S;
  /** Combines two profiles' states as if every event had belonged to one person. */
  mergeStates: (into: S, from: S) => S;
  serializeState: (state: S) => string;
}

/** Where an event went: its profile, and the profiles merged into it on the way (states before the merge). */
export interface Resolution<S> {
  profile: ProfileDraft<S>;
  mergedAway: ProfileDraft<S>[];
}

export const MERGE_REASONS = { implicit: 'identifiers met in one event', alias: 'alias' } as const;

/**
 * The identity graph for one processing batch: the profiles its events touch, loaded up front, and
 * every change (new profiles, identifiers, merges) kept in memory until the batch commits atomically.
 * The rules are docs/processing.md "Identity and merges", one numbered step per private method.
 */
export class IdentityWorkingSet<S> {
  private readonly owners: Map<string, string>;
  private readonly profiles = new Map<string, ProfileDraft<S>>();
  private readonly merges: MergeRecord[] = [];
  private readonly mergedInto = new Map<string, string>();
  private readonly newIdentifiers = new Map<string, IdentifierRef & { profileId: string }>();
  private readonly touched = new Set<string>();

  constructor(
    owners: Map<string, string>,
    loaded: ProfileRecord[],
    private readonly deps: WorkingSetDeps<S>,
  ) {
    this.owners = new Map(owners);
    for (const record of loaded) {
      this.profiles.set(record.id, { ...record, state: deps.parseState(record.state) });
    }
  }

  /**
   * Finds, creates or merges the profile an event belongs to. `identifiers` are in priority order
   * (userId, email, anonymousId); `aliasTargets` are an alias's previousId as userId and anonymousId.
   * Returns undefined for an event with no identifier: it belongs to nobody.
   */
  resolve(
    event: StoredEvent,
    identifiers: IdentifierRef[],
    aliasTargets: IdentifierRef[],
    now: number,
  ): Resolution<S> | undefined {
    if (identifiers.length === 0) return undefined;
    const eventUserId = identifiers.find((ref) => ref.kind === 'userId')?.value;
    const mergedAway: ProfileDraft<S>[] = [];
    const target =
      this.compatibleOwner(identifiers, eventUserId) ??
      this.ownersOf(aliasTargets)[0] ??
      this.createProfile(identifiers[0] as IdentifierRef, event, now);
    for (const other of this.ownersOf(identifiers)) {
      if (other.id === target.id || !this.mayMergeImplicitly(target, other, eventUserId)) continue;
      mergedAway.push(this.merge(target, other, event, now, MERGE_REASONS.implicit));
    }
    for (const ref of identifiers) this.claim(target, ref);
    this.applyAlias(target, aliasTargets, event, now, mergedAway);
    target.updatedAt = now;
    this.touched.add(target.id);
    return { profile: target, mergedAway };
  }

  profile(id: string): ProfileDraft<S> | undefined {
    return this.profiles.get(id);
  }

  /** Marks a loaded profile as changed (scheduler and backfill steps, which resolve no event). */
  touch(id: string, now: number): ProfileDraft<S> | undefined {
    const draft = this.profiles.get(id);
    if (!draft) return undefined;
    draft.updatedAt = now;
    this.touched.add(id);
    return draft;
  }

  /** Everything to write, with the cursor the batch reached. */
  toCommit(
    cursor: ProcessingCommit['cursor'] | undefined,
    profileEvents: ProcessingCommit['profileEvents'],
  ): ProcessingCommit {
    const profiles = [...this.touched]
      .map((id) => this.profiles.get(id))
      .filter((draft): draft is ProfileDraft<S> => draft !== undefined)
      .map((draft) => ({
        id: draft.id,
        state: this.deps.serializeState(draft.state),
        version: draft.version + 1,
        createdAt: draft.createdAt,
        updatedAt: draft.updatedAt,
        nextWakeAt: draft.nextWakeAt,
      }));
    const identifiers = [...this.newIdentifiers.values()].map((ref) => ({
      ...ref,
      profileId: this.liveId(ref.profileId),
    }));
    const events = profileEvents.map((row) => ({ ...row, profileId: this.liveId(row.profileId) }));
    return {
      cursor,
      merges: this.merges,
      profiles,
      identifiers,
      profileEvents: events,
      outbox: [],
      memberships: [],
    };
  }

  /** The profile an id ended up in after this batch's merges. */
  liveId(id: string): string {
    let current = id;
    for (let next = this.mergedInto.get(current); next !== undefined; next = this.mergedInto.get(current)) {
      current = next;
    }
    return current;
  }

  /** Rule 1: the owner of the first identifier (priority order) that may take this event. */
  private compatibleOwner(identifiers: IdentifierRef[], eventUserId: string | undefined) {
    return this.ownersOf(identifiers).find((owner) => {
      const userIds = userIdsOf(owner);
      return eventUserId === undefined || userIds.length === 0 || userIds.includes(eventUserId);
    });
  }

  /** Rule 2: never fuse two people implicitly (shared device); only an alias joins two userIds. */
  private mayMergeImplicitly(
    target: ProfileDraft<S>,
    other: ProfileDraft<S>,
    eventUserId: string | undefined,
  ): boolean {
    if (userIdsOf(other).length === 0) return true;
    return userIdsOf(target).length === 0 && eventUserId === undefined;
  }

  /** Rule 5: an alias merges unconditionally; an unknown previousId is kept as an `alias` identifier. */
  private applyAlias(
    target: ProfileDraft<S>,
    aliasTargets: IdentifierRef[],
    event: StoredEvent,
    now: number,
    mergedAway: ProfileDraft<S>[],
  ): void {
    const [previous] = aliasTargets;
    if (previous === undefined) return;
    const owners = this.ownersOf(aliasTargets);
    for (const aliased of owners) {
      if (aliased.id !== target.id)
        mergedAway.push(this.merge(target, aliased, event, now, MERGE_REASONS.alias));
    }
    if (owners.length === 0) this.claim(target, { kind: 'alias', value: previous.value });
  }

  /** Rule 4: an identifier nobody owns joins the target. */
  private claim(target: ProfileDraft<S>, ref: IdentifierRef): void {
    const key = identifierKey(ref);
    if (this.owners.has(key)) return;
    this.owners.set(key, target.id);
    target.identifiers.push(ref);
    this.newIdentifiers.set(key, { ...ref, profileId: target.id });
  }

  /** The live profiles owning these identifiers (directly, or as an alias's previousId), in order. */
  private ownersOf(refs: IdentifierRef[]): ProfileDraft<S>[] {
    const found: ProfileDraft<S>[] = [];
    for (const key of lookupKeysOf(refs).map(identifierKey)) {
      const id = this.owners.get(key);
      const draft = id === undefined ? undefined : this.profiles.get(this.liveId(id));
      if (draft && !found.includes(draft)) found.push(draft);
    }
    return found;
  }

  /** Rule 3: a profile whose id is a hash of its first identifier and first event. */
  private createProfile(seed: IdentifierRef, event: StoredEvent, now: number): ProfileDraft<S> {
    const id = `p_${sha256Hex(`${identifierKey(seed)}\n${event.seq}`).slice(0, 24)}`;
    const draft: ProfileDraft<S> = {
      id,
      state: this.deps.emptyState(),
      version: 0,
      createdAt: now,
      updatedAt: now,
      nextWakeAt: null,
      identifiers: [],
    };
    this.profiles.set(id, draft);
    return draft;
  }

  /** `from` disappears into `into`; returns `from` as it was (its state before the merge). */
  private merge(
    into: ProfileDraft<S>,
    from: ProfileDraft<S>,
    event: StoredEvent,
    now: number,
    reason: string,
  ): ProfileDraft<S> {
    into.state = this.deps.mergeStates(into.state, from.state);
    into.identifiers.push(...from.identifiers);
    for (const ref of from.identifiers) this.owners.set(identifierKey(ref), into.id);
    for (const [key, owner] of this.owners) if (owner === from.id) this.owners.set(key, into.id);
    into.createdAt = Math.min(into.createdAt, from.createdAt);
    this.profiles.delete(from.id);
    this.mergedInto.set(from.id, into.id);
    this.touched.delete(from.id);
    this.touched.add(into.id);
    this.merges.push({
      profileId: into.id,
      mergedProfileId: from.id,
      at: now,
      messageId: event.messageId,
      reason,
    });
    return from;
  }
}

/** A profile's userIds, counting an alias's previousId (which may be one). */
function userIdsOf(draft: ProfileDraft<unknown>): string[] {
  return draft.identifiers
    .filter((ref) => ref.kind === 'userId' || ref.kind === 'alias')
    .map((ref) => ref.value);
}

/** The keys to look an event's identifiers up by: each as itself, a userId or anonymousId also as an alias. */
export function lookupKeysOf(refs: IdentifierRef[]): IdentifierRef[] {
  const keys: IdentifierRef[] = [];
  for (const ref of refs) {
    keys.push(ref);
    if (ref.kind === 'userId' || ref.kind === 'anonymousId') keys.push({ kind: 'alias', value: ref.value });
  }
  return keys;
}
