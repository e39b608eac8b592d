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
  /** Called before `from` disappears into `into` (e.g. to record its audience exits). */
  beforeMerge?: (into: ProfileDraft<S>, from: ProfileDraft<S>, event: StoredEvent) => void;
}

/**
 * The identity graph for one processing batch: the profiles its events touch, loaded up front, and
 * every change (new profiles, identifiers, merges) kept in memory until the batch commits atomically.
 *
 * Merge policy: identifiers that meet in one event put their profiles together, except that two
 * profiles with different userIds are never merged implicitly (a shared device must not fuse two
 * customers); an `alias` says explicitly they are one person and always merges.
 */
export class IdentityWorkingSet<S> {
  private readonly owners: Map<string, string>;
  private readonly profiles = new Map<string, ProfileDraft<S>>();
  private readonly merges: MergeRecord[] = [];
  private readonly newIdentifiers: (IdentifierRef & { profileId: string })[] = [];
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

  /** Finds (or creates, or merges into) the profile an event belongs to. */
  resolve(
    event: StoredEvent,
    identifiers: IdentifierRef[],
    aliasTargets: IdentifierRef[],
    now: number,
  ): ProfileDraft<S> {
    const userId = identifiers.find((ref) => ref.kind === 'userId')?.value;
    const candidates = this.ownersOf(identifiers).filter(
      (draft) => (this.userIdOf(draft) ?? userId) === userId,
    );
    const target = candidates[0] ?? this.createProfile(identifiers[0], event, now);
    for (const other of candidates.slice(1)) {
      if (this.canMerge(target, other)) this.merge(target, other, event, now, 'identifiers met in one event');
    }
    for (const aliased of this.ownersOf(aliasTargets)) {
      if (aliased.id !== target.id) this.merge(target, aliased, event, now, 'alias');
    }
    for (const ref of identifiers) this.claim(target, ref);
    target.updatedAt = now;
    this.touched.add(target.id);
    return target;
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
    const identifiers = this.newIdentifiers.map((ref) => ({ ...ref, profileId: this.liveId(ref.profileId) }));
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
    for (let guard = 0; guard < 1000 && !this.profiles.has(current); guard++) {
      const merge = this.merges.find((m) => m.mergedProfileId === current);
      if (!merge) break;
      current = merge.profileId;
    }
    return current;
  }

  private ownersOf(refs: IdentifierRef[]): ProfileDraft<S>[] {
    const found: ProfileDraft<S>[] = [];
    for (const ref of refs) {
      const id = this.owners.get(identifierKey(ref));
      const draft = id === undefined ? undefined : this.profiles.get(this.liveId(id));
      if (draft && !found.includes(draft)) found.push(draft);
    }
    return found;
  }

  private canMerge(target: ProfileDraft<S>, other: ProfileDraft<S>): boolean {
    const targetUser = this.userIdOf(target);
    const otherUser = this.userIdOf(other);
    return targetUser === undefined || otherUser === undefined || targetUser === otherUser;
  }

  private userIdOf(draft: ProfileDraft<S>): string | undefined {
    return draft.identifiers.find((ref) => ref.kind === 'userId')?.value;
  }

  private claim(target: ProfileDraft<S>, ref: IdentifierRef): void {
    const key = identifierKey(ref);
    const owner = this.owners.get(key);
    if (owner !== undefined && this.liveId(owner) !== target.id) return; // kept by a profile we may not merge
    if (owner === undefined) {
      if (ref.kind === 'userId' && target.identifiers.some((r) => r.kind === 'userId')) return;
      this.owners.set(key, target.id);
      target.identifiers.push(ref);
      this.newIdentifiers.push({ ...ref, profileId: target.id });
    }
  }

  private createProfile(seed: IdentifierRef | undefined, event: StoredEvent, now: number): ProfileDraft<S> {
    const id = `p_${sha256Hex(`${seed ? identifierKey(seed) : ''}\n${event.seq}`).slice(0, 24)}`;
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

  private merge(
    into: ProfileDraft<S>,
    from: ProfileDraft<S>,
    event: StoredEvent,
    now: number,
    reason: string,
  ) {
    into.state = this.deps.mergeStates(into.state, from.state);
    into.identifiers.push(...from.identifiers);
    for (const [key, owner] of this.owners) if (owner === from.id) this.owners.set(key, into.id);
    into.createdAt = Math.min(into.createdAt, from.createdAt);
    this.profiles.delete(from.id);
    this.touched.delete(from.id);
    this.touched.add(into.id);
    this.merges.push({
      profileId: into.id,
      mergedProfileId: from.id,
      at: now,
      messageId: event.messageId,
      reason,
    });
  }
}
