/**
 * Rebuild storage: recomputing every profile from the event log, as a state machine the processing
 * loop drives (docs/processing.md, "Rebuild"). Each transition is one transaction, so a crash at any
 * point resumes where it stopped.
 */
import type { IdentifierRef, OutboxRow, StoredOutboxRow } from './profile-port.js';

export const REBUILD_STATUSES = ['requested', 'replaying', 'folding', 'emitting', 'done'] as const;
export type RebuildStatus = (typeof REBUILD_STATUSES)[number];

export interface RebuildRecord {
  id: number;
  status: RebuildStatus;
  requestedAt: number;
  startedAt: number | null;
  /** The newest stored event when the rebuild started: the replay is done once processed up to it. */
  targetSeq: number | null;
  /** The first outbox id fan-out holds back until the rebuild is done. */
  holdFrom: number | null;
  /** Where the folding / emitting pass is (the last profile id done). */
  phaseAfter: string;
  profilesDone: number;
  profilesTotal: number;
  finishedAt: number | null;
  /** The last error a step met (the step is retried). */
  error: string | null;
}

/** One page of the folding or emitting pass, committed with its progress. */
export interface RebuildPage {
  phaseAfter: string;
  profilesDone: number;
  outbox: OutboxRow[];
  /** Audience entries and exits the rebuild caused, for the membership history. */
  memberships: { profileId: string; audience: string; member: boolean; at: number }[];
  /** Membership history of a profile that no longer exists, moved to the one that took its identifiers. */
  moveHistory: { from: string; to: string }[];
}

export interface RebuildStore {
  /**
   * Records a request for a rebuild, unless one is running: then answers that one (`created` false).
   * The processing loop starts it.
   */
  requestRebuild(now: number): Promise<{ rebuild: RebuildRecord; created: boolean }>;
  /** The newest rebuild, running or not. */
  latestRebuild(): Promise<RebuildRecord | undefined>;
  /**
   * Starts a requested rebuild, in one transaction: target = newest event, hold fan-out from the next
   * outbox row, keep who owned which identifier and audience, forget every derived profile table,
   * mark every trait and audience definition ready, and move the processing cursor `cursor` to 0.
   */
  startRebuild(id: number, now: number, cursor: string): Promise<RebuildRecord>;
  /**
   * The replay reached the target: discards the outbox rows (and membership history) the replay
   * wrote, and moves on to folding over the old profile ids (`profilesTotal`: how many).
   */
  endReplay(id: number): Promise<void>;
  /** Moves from folding to emitting over the live profiles (`profilesTotal`: how many). */
  beginEmitting(id: number): Promise<void>;
  commitRebuildPage(id: number, page: RebuildPage): Promise<void>;
  /** Done: forgets the old identifiers and memberships and releases fan-out. */
  completeRebuild(id: number, now: number): Promise<void>;
  noteRebuildError(id: number, error: string): Promise<void>;
  /** Distinct profile ids that owned identifiers when the rebuild started, after `afterId`, in order. */
  oldProfileIds(afterId: string, limit: number): Promise<string[]>;
  oldIdentifiersOf(profileId: string): Promise<IdentifierRef[]>;
  /** The audiences each profile was in when the rebuild started. */
  oldMembershipsOf(profileIds: string[]): Promise<Map<string, string[]>>;
  /** Outbox rows after `afterId` that fan-out may take: those below a running rebuild's hold. */
  readDeliverableOutbox(afterId: number, limit: number): Promise<StoredOutboxRow[]>;
}
