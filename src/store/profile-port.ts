import type { BudgetSumsDelta } from './budget-port.js';

/**
 * Profile storage: identities, computed-trait state, timelines, merges, processing cursors and
 * trait backfills. Profile-keyed tables (profiles, profile_events, merges) partition by profile id;
 * identifiers partition by their own value (a lookup table).
 */

export const IDENTIFIER_KINDS = ['userId', 'anonymousId', 'email', 'alias'] as const;
/**
 * `alias` is an alias's previousId that no profile knew yet (a userId or an anonymousId, we cannot
 * tell which): events whose userId or anonymousId equals it resolve to the profile that holds it.
 */
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface IdentifierRef {
  kind: IdentifierKind;
  value: string;
}

export interface ProfileRecord {
  id: string;
  /** Trait, rule and membership state, JSON text (owned by processing). */
  state: string;
  version: number;
  createdAt: number;
  updatedAt: number;
  /** When time alone can next change this profile's audiences or synced traits. */
  nextWakeAt: number | null;
  identifiers: IdentifierRef[];
}

/**
 * A change for delivery: an audience entered/exited, a synced trait's new value, or a merge
 * (`profileId` absorbed the profile named `name`: what destinations were told of it now concerns
 * the survivor, whose full state follows in later rows).
 */
export interface OutboxRow {
  profileId: string;
  kind: 'audience' | 'trait' | 'merge';
  name: string;
  /** JSON text: true/false for audiences, the value for traits. */
  value: string;
  profileVersion: number;
  at: number;
  /** Receive time of the event that caused it (none for changes caused by time alone). */
  eventReceivedAt: number | null;
  messageId: string | null;
}

export interface StoredOutboxRow extends OutboxRow {
  id: number;
}

/**
 * What made a profile enter or leave an audience: an event (`messageId` names it), time alone (the
 * scheduler), a merge (the profile was merged away), a backfill of a new or changed audience, a
 * rebuild, or the audience's removal from the configuration.
 */
export const MEMBERSHIP_CAUSES = ['event', 'time', 'merge', 'backfill', 'rebuild', 'config'] as const;
export type MembershipCause = (typeof MEMBERSHIP_CAUSES)[number];

export interface MembershipChange {
  audience: string;
  profileId: string;
  member: boolean;
  at: number;
  cause: MembershipCause;
  /** The event that caused it (causes `event` and `merge`), else null. */
  messageId: string | null;
}

/** An audience a profile is in now, and since when. */
export interface CurrentMembership {
  audience: string;
  since: number;
}

export interface MergeRecord {
  profileId: string;
  mergedProfileId: string;
  at: number;
  messageId: string;
  reason: string;
}

export interface ProcessingCommit {
  /** Advanced with the batch (absent for scheduler and backfill steps). */
  cursor?: { name: string; seq: number };
  /** Re-point everything of a merged profile to the one it merged into; applied first. */
  merges: MergeRecord[];
  profiles: Omit<ProfileRecord, 'identifiers'>[];
  identifiers: (IdentifierRef & { profileId: string })[];
  profileEvents: { profileId: string; seq: number; eventTime: number }[];
  outbox: OutboxRow[];
  memberships: MembershipChange[];
  /** Changes of the budget audiences' running sums that these profile states make (budget-port.ts). */
  budget?: BudgetSumsDelta[];
}

export interface TraitDefinitionRow {
  name: string;
  hash: string;
  status: 'backfilling' | 'ready';
  afterProfile: string;
  done: number;
  total: number;
  updatedAt: number;
}

export interface ProfileStore {
  readCursor(name: string): Promise<number>;
  /** The live profile owning each identifier, keyed `${kind}:${value}`. */
  findProfileIds(identifiers: IdentifierRef[]): Promise<Map<string, string>>;
  loadProfiles(ids: string[]): Promise<ProfileRecord[]>;
  /** Writes a processing step and advances the cursor, atomically. */
  commitProcessing(commit: ProcessingCommit): Promise<void>;
  /** The profile's timeline: stored-event seqs by event time, newest last (or the last `limit`). */
  profileEventSeqs(profileId: string, limit?: number): Promise<number[]>;
  mergesOf(profileId: string): Promise<MergeRecord[]>;
  /** The profile's audience entries and exits with their causes, newest first (at most `limit`). */
  membershipHistory(profileId: string, limit: number): Promise<MembershipChange[]>;
  /** The audiences the profile is in now, with when it entered each, by audience name. */
  membershipsOf(profileId: string): Promise<CurrentMembership[]>;
  /** Profile ids in id order after `afterId`: backfill pages. */
  listProfileIds(afterId: string, limit: number): Promise<string[]>;
  countProfiles(): Promise<number>;
  /** Profiles whose next wake-up is due, soonest first. */
  dueProfiles(now: number, limit: number): Promise<string[]>;
  /** The earliest wake-up of any profile, or undefined. */
  nextWakeAt(): Promise<number | undefined>;
  audienceSizes(): Promise<Record<string, number>>;
  audienceMembers(audience: string, limit: number): Promise<string[]>;
  recordAudienceSizes(at: number, sizes: Record<string, number>): Promise<void>;
  audienceSizeHistory(audience: string, since: number): Promise<{ at: number; size: number }[]>;
  readOutbox(afterId: number, limit: number): Promise<StoredOutboxRow[]>;
  traitDefinitions(): Promise<TraitDefinitionRow[]>;
  saveTraitDefinitions(rows: TraitDefinitionRow[], removed: string[]): Promise<void>;
}

export function identifierKey(ref: IdentifierRef): string {
  return `${ref.kind}:${ref.value}`;
}
