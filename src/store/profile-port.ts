import type { StoredEvent } from './port.js';

/**
 * Profile storage: identities, computed-trait state, timelines, merges, processing cursors and
 * trait backfills. Profile-keyed tables (profiles, profile_events, merges) partition by profile id;
 * identifiers partition by their own value (a lookup table).
 */

export const IDENTIFIER_KINDS = ['userId', 'anonymousId', 'email'] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface IdentifierRef {
  kind: IdentifierKind;
  value: string;
}

export interface ProfileRecord {
  id: string;
  /** Computed-trait state, JSON text (owned by the trait engine). */
  state: string;
  version: number;
  createdAt: number;
  updatedAt: number;
  identifiers: IdentifierRef[];
}

export interface MergeRecord {
  profileId: string;
  mergedProfileId: string;
  at: number;
  messageId: string;
  reason: string;
}

export interface ProcessingCommit {
  cursor: { name: string; seq: number };
  /** Re-point everything of a merged profile to the one it merged into; applied first. */
  merges: MergeRecord[];
  profiles: Omit<ProfileRecord, 'identifiers'>[];
  identifiers: (IdentifierRef & { profileId: string })[];
  profileEvents: { profileId: string; seq: number; eventTime: number }[];
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
  readEventsBySeq(seqs: number[]): Promise<StoredEvent[]>;
  mergesOf(profileId: string): Promise<MergeRecord[]>;
  /** Profile ids in id order after `afterId`: backfill pages. */
  listProfileIds(afterId: string, limit: number): Promise<string[]>;
  countProfiles(): Promise<number>;
  /** Replaces the state of profiles (backfill), unless their version moved on since they were read. */
  saveProfileStates(updates: { id: string; state: string; version: number }[]): Promise<number>;
  traitDefinitions(): Promise<TraitDefinitionRow[]>;
  saveTraitDefinitions(rows: TraitDefinitionRow[], removed: string[]): Promise<void>;
}

export function identifierKey(ref: IdentifierRef): string {
  return `${ref.kind}:${ref.value}`;
}
