import type { Database, Transaction } from 'better-sqlite3';
import type {
  CurrentMembership,
  IdentifierRef,
  MembershipCause,
  MembershipChange,
  MergeRecord,
  ProcessingCommit,
  ProfileRecord,
  StoredOutboxRow,
  TraitDefinitionRow,
} from '../profile-port.js';
import { identifierKey } from '../profile-port.js';

interface ProfileRow {
  profile_id: string;
  state: string;
  version: number;
  created_at: number;
  updated_at: number;
  next_wake_at: number | null;
}

export interface OutboxDbRow {
  id: number;
  profile_id: string;
  kind: 'audience' | 'trait';
  name: string;
  value: string;
  profile_version: number;
  at: number;
  event_received_at: number | null;
  message_id: string | null;
}

interface MembershipHistoryDbRow {
  profile_id: string;
  audience: string;
  member: number;
  at: number;
  cause: MembershipCause;
  message_id: string | null;
}

/** The profile half of the SQLite backend; every method is one statement or one transaction. */
export class SqliteProfiles {
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly commitTx: Transaction<(commit: ProcessingCommit) => void>;
  private readonly recordSizesTx: Transaction<(at: number, sizes: Record<string, number>) => void>;
  private readonly saveDefinitionsTx: Transaction<(rows: TraitDefinitionRow[], removed: string[]) => void>;

  constructor(private readonly db: Database) {
    this.statements = prepareStatements(db);
    this.commitTx = db.transaction((commit: ProcessingCommit) => this.applyCommit(commit));
    this.recordSizesTx = db.transaction((at: number, sizes: Record<string, number>) => {
      for (const [audience, size] of Object.entries(sizes))
        this.statements.recordSize.run(audience, at, size);
    });
    this.saveDefinitionsTx = db.transaction((rows: TraitDefinitionRow[], removed: string[]) => {
      for (const name of removed) this.statements.deleteDefinition.run(name);
      for (const row of rows) {
        this.statements.upsertDefinition.run(
          row.name,
          row.hash,
          row.status,
          row.afterProfile,
          row.done,
          row.total,
          row.updatedAt,
        );
      }
    });
  }

  readCursor(name: string): number {
    return (this.statements.cursor.get(name) as { seq: number } | undefined)?.seq ?? 0;
  }

  /**
   * One statement per call, whatever the number of identifiers (the keys go in as one JSON array):
   * a processing batch looks up thousands, and a statement per key cost more than the lookups.
   */
  findProfileIds(identifiers: IdentifierRef[]): Map<string, string> {
    const owners = new Map<string, string>();
    if (identifiers.length === 0) return owners;
    const keys = JSON.stringify(identifiers.map((ref) => [ref.kind, ref.value]));
    const rows = this.statements.owners.all(keys) as (IdentifierRef & { profile_id: string })[];
    for (const row of rows) owners.set(identifierKey(row), row.profile_id);
    return owners;
  }

  /** Live profiles among `ids`, in the order asked; two statements per call (profiles, their identifiers). */
  loadProfiles(ids: string[]): ProfileRecord[] {
    if (ids.length === 0) return [];
    const list = JSON.stringify([...new Set(ids)]);
    const rows = new Map(
      (this.statements.profiles.all(list) as ProfileRow[]).map((row) => [row.profile_id, row]),
    );
    const identifiers = new Map<string, IdentifierRef[]>();
    for (const row of this.statements.identifiersOfMany.all(list) as (IdentifierRef & {
      profile_id: string;
    })[]) {
      const refs = identifiers.get(row.profile_id);
      const ref: IdentifierRef = { kind: row.kind, value: row.value };
      if (refs === undefined) identifiers.set(row.profile_id, [ref]);
      else refs.push(ref);
    }
    const records: ProfileRecord[] = [];
    for (const id of ids) {
      const row = rows.get(id);
      if (!row) continue;
      records.push({
        id: row.profile_id,
        state: row.state,
        version: row.version,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
        nextWakeAt: row.next_wake_at,
        identifiers: [...(identifiers.get(id) ?? [])],
      });
    }
    return records;
  }

  commitProcessing(commit: ProcessingCommit): void {
    this.commitTx.immediate(commit);
  }

  profileEventSeqs(profileId: string, limit = Number.MAX_SAFE_INTEGER): number[] {
    return (this.statements.timeline.all(profileId, limit) as { seq: number }[]).map((row) => row.seq);
  }

  mergesOf(profileId: string): MergeRecord[] {
    const rows = this.statements.mergesOf.all(profileId) as {
      profile_id: string;
      merged_profile_id: string;
      at: number;
      message_id: string;
      reason: string;
    }[];
    return rows.map((row) => ({
      profileId: row.profile_id,
      mergedProfileId: row.merged_profile_id,
      at: row.at,
      messageId: row.message_id,
      reason: row.reason,
    }));
  }

  membershipHistory(profileId: string, limit: number): MembershipChange[] {
    return (this.statements.membershipHistory.all(profileId, limit) as MembershipHistoryDbRow[]).map(
      (row) => ({
        audience: row.audience,
        profileId: row.profile_id,
        member: row.member === 1,
        at: row.at,
        cause: row.cause,
        messageId: row.message_id,
      }),
    );
  }

  membershipsOf(profileId: string): CurrentMembership[] {
    return this.statements.membershipsOf.all(profileId) as CurrentMembership[];
  }

  listProfileIds(afterId: string, limit: number): string[] {
    return (this.statements.listIds.all(afterId, limit) as { profile_id: string }[]).map(
      (row) => row.profile_id,
    );
  }

  countProfiles(): number {
    return (this.statements.countProfiles.get() as { n: number }).n;
  }

  dueProfiles(now: number, limit: number): string[] {
    return (this.statements.due.all(now, limit) as { profile_id: string }[]).map((row) => row.profile_id);
  }

  nextWakeAt(): number | undefined {
    return (this.statements.nextWake.get() as { at: number | null }).at ?? undefined;
  }

  audienceSizes(): Record<string, number> {
    const rows = this.statements.sizes.all() as { audience: string; n: number }[];
    return Object.fromEntries(rows.map((row) => [row.audience, row.n]));
  }

  audienceMembers(audience: string, limit: number): string[] {
    return (this.statements.members.all(audience, limit) as { profile_id: string }[]).map(
      (row) => row.profile_id,
    );
  }

  recordAudienceSizes(at: number, sizes: Record<string, number>): void {
    this.recordSizesTx.immediate(at, sizes);
  }

  audienceSizeHistory(audience: string, since: number): { at: number; size: number }[] {
    return this.statements.sizeHistory.all(audience, since) as { at: number; size: number }[];
  }

  readOutbox(afterId: number, limit: number): StoredOutboxRow[] {
    return (this.statements.outbox.all(afterId, limit) as OutboxDbRow[]).map(outboxRowFromDb);
  }

  traitDefinitions(): TraitDefinitionRow[] {
    const rows = this.statements.definitions.all() as {
      name: string;
      hash: string;
      status: 'backfilling' | 'ready';
      after_profile: string;
      done: number;
      total: number;
      updated_at: number;
    }[];
    return rows.map((row) => ({
      name: row.name,
      hash: row.hash,
      status: row.status,
      afterProfile: row.after_profile,
      done: row.done,
      total: row.total,
      updatedAt: row.updated_at,
    }));
  }

  saveTraitDefinitions(rows: TraitDefinitionRow[], removed: string[]): void {
    this.saveDefinitionsTx.immediate(rows, removed);
  }

  /** A merged-away profile leaves every audience it is in, recorded as exits caused by the merge. */
  private endMemberships(merge: MergeRecord): void {
    this.statements.recordMergeExits.run(merge.at, merge.messageId, merge.mergedProfileId);
    this.statements.dropMemberships.run(merge.mergedProfileId);
  }

  private applyCommit(commit: ProcessingCommit): void {
    const s = this.statements;
    for (const merge of commit.merges) {
      s.repointIdentifiers.run(merge.profileId, merge.mergedProfileId);
      s.repointEvents.run(merge.profileId, merge.mergedProfileId);
      s.repointMerges.run(merge.profileId, merge.mergedProfileId);
      s.tombstone.run(merge.profileId, merge.mergedProfileId);
      this.endMemberships(merge);
      s.insertMerge.run(merge.profileId, merge.mergedProfileId, merge.at, merge.messageId, merge.reason);
    }
    for (const profile of commit.profiles) {
      s.upsertProfile.run(
        profile.id,
        profile.state,
        profile.version,
        profile.createdAt,
        profile.updatedAt,
        profile.nextWakeAt,
      );
    }
    for (const identifier of commit.identifiers) {
      s.upsertIdentifier.run(identifier.kind, identifier.value, identifier.profileId);
    }
    for (const event of commit.profileEvents)
      s.insertProfileEvent.run(event.profileId, event.eventTime, event.seq);
    for (const row of commit.outbox) {
      s.insertOutbox.run(
        row.profileId,
        row.kind,
        row.name,
        row.value,
        row.profileVersion,
        row.at,
        row.eventReceivedAt,
        row.messageId,
      );
    }
    for (const change of commit.memberships) {
      const changed = change.member
        ? s.addMember.run(change.audience, change.profileId, change.at).changes
        : s.removeMember.run(change.audience, change.profileId).changes;
      if (changed === 0) continue; // history records what audience_members went through, once
      s.insertHistory.run(
        change.profileId,
        change.audience,
        change.member ? 1 : 0,
        change.at,
        change.cause,
        change.messageId,
      );
    }
    for (const merge of commit.merges) {
      this.endMemberships(merge); // entered in this very commit before the profile was merged away
      s.repointHistory.run(merge.profileId, merge.mergedProfileId);
    }
    if (commit.cursor) s.setCursor.run(commit.cursor.name, commit.cursor.seq);
  }
}

function prepareStatements(db: Database) {
  return {
    cursor: db.prepare(`SELECT seq FROM cursors WHERE name = ?`),
    setCursor: db.prepare(
      `INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`,
    ),
    // CROSS JOIN keeps the JSON list as the outer loop: one primary-key / index probe per key.
    owners: db.prepare(
      `SELECT i.kind, i.value, i.profile_id FROM json_each(?) AS j
       CROSS JOIN identifiers AS i ON i.kind = j.value ->> 0 AND i.value = j.value ->> 1`,
    ),
    profiles: db.prepare(
      `SELECT p.* FROM json_each(?) AS j CROSS JOIN profiles AS p
       ON p.profile_id = j.value WHERE p.merged_into IS NULL`,
    ),
    identifiersOfMany: db.prepare(
      `SELECT i.profile_id, i.kind, i.value FROM json_each(?) AS j CROSS JOIN identifiers AS i
       ON i.profile_id = j.value ORDER BY i.profile_id, i.kind, i.value`,
    ),
    upsertProfile: db.prepare(
      `INSERT INTO profiles (profile_id, state, version, created_at, updated_at, next_wake_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (profile_id) DO UPDATE SET state = excluded.state, version = excluded.version,
         updated_at = excluded.updated_at, next_wake_at = excluded.next_wake_at`,
    ),
    dropMemberships: db.prepare(`DELETE FROM audience_members WHERE profile_id = ?`),
    addMember: db.prepare(
      `INSERT INTO audience_members (audience, profile_id, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    removeMember: db.prepare(`DELETE FROM audience_members WHERE audience = ? AND profile_id = ?`),
    membershipsOf: db.prepare(
      `SELECT audience, since FROM audience_members WHERE profile_id = ? ORDER BY audience`,
    ),
    insertHistory: db.prepare(
      `INSERT INTO membership_history (profile_id, audience, member, at, cause, message_id)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    membershipHistory: db.prepare(
      `SELECT * FROM membership_history WHERE profile_id = ? ORDER BY at DESC, id DESC LIMIT ?`,
    ),
    recordMergeExits: db.prepare(
      `INSERT INTO membership_history (profile_id, audience, member, at, cause, message_id)
       SELECT profile_id, audience, 0, ?, 'merge', ? FROM audience_members WHERE profile_id = ?
       ORDER BY audience`,
    ),
    repointHistory: db.prepare(`UPDATE membership_history SET profile_id = ? WHERE profile_id = ?`),
    insertOutbox: db.prepare(
      `INSERT INTO outbox (profile_id, kind, name, value, profile_version, at, event_received_at, message_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    outbox: db.prepare(`SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?`),
    due: db.prepare(
      `SELECT profile_id FROM profiles
       WHERE next_wake_at IS NOT NULL AND next_wake_at <= ? AND merged_into IS NULL
       ORDER BY next_wake_at LIMIT ?`,
    ),
    nextWake: db.prepare(`SELECT min(next_wake_at) AS at FROM profiles WHERE next_wake_at IS NOT NULL`),
    sizes: db.prepare(`SELECT audience, count(*) AS n FROM audience_members GROUP BY audience`),
    members: db.prepare(
      `SELECT profile_id FROM audience_members WHERE audience = ? ORDER BY since DESC, profile_id LIMIT ?`,
    ),
    recordSize: db.prepare(
      `INSERT INTO audience_sizes (audience, at, size) VALUES (?, ?, ?)
       ON CONFLICT DO UPDATE SET size = excluded.size`,
    ),
    sizeHistory: db.prepare(`SELECT at, size FROM audience_sizes WHERE audience = ? AND at >= ? ORDER BY at`),
    tombstone: db.prepare(`UPDATE profiles SET merged_into = ?, state = '{}' WHERE profile_id = ?`),
    repointIdentifiers: db.prepare(`UPDATE identifiers SET profile_id = ? WHERE profile_id = ?`),
    repointEvents: db.prepare(`UPDATE profile_events SET profile_id = ? WHERE profile_id = ?`),
    repointMerges: db.prepare(`UPDATE merges SET profile_id = ? WHERE profile_id = ?`),
    insertMerge: db.prepare(
      `INSERT INTO merges (profile_id, merged_profile_id, at, message_id, reason) VALUES (?, ?, ?, ?, ?)`,
    ),
    upsertIdentifier: db.prepare(
      `INSERT INTO identifiers (kind, value, profile_id) VALUES (?, ?, ?)
       ON CONFLICT (kind, value) DO UPDATE SET profile_id = excluded.profile_id`,
    ),
    insertProfileEvent: db.prepare(
      `INSERT INTO profile_events (profile_id, event_time, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    timeline: db.prepare(
      `SELECT seq FROM (SELECT seq, event_time FROM profile_events WHERE profile_id = ?
         ORDER BY event_time DESC, seq DESC LIMIT ?) ORDER BY event_time, seq`,
    ),
    mergesOf: db.prepare(`SELECT * FROM merges WHERE profile_id = ? ORDER BY id`),
    listIds: db.prepare(
      `SELECT profile_id FROM profiles WHERE profile_id > ? AND merged_into IS NULL ORDER BY profile_id LIMIT ?`,
    ),
    countProfiles: db.prepare(`SELECT count(*) AS n FROM profiles WHERE merged_into IS NULL`),
    definitions: db.prepare(`SELECT * FROM trait_definitions ORDER BY name`),
    upsertDefinition: db.prepare(
      `INSERT INTO trait_definitions (name, hash, status, after_profile, done, total, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, status = excluded.status,
         after_profile = excluded.after_profile, done = excluded.done, total = excluded.total,
         updated_at = excluded.updated_at`,
    ),
    deleteDefinition: db.prepare(`DELETE FROM trait_definitions WHERE name = ?`),
  };
}

/** An outbox row as the port gives it. */
export function outboxRowFromDb(row: OutboxDbRow): StoredOutboxRow {
  return {
    id: row.id,
    profileId: row.profile_id,
    kind: row.kind,
    name: row.name,
    value: row.value,
    profileVersion: row.profile_version,
    at: row.at,
    eventReceivedAt: row.event_received_at,
    messageId: row.message_id,
  };
}
