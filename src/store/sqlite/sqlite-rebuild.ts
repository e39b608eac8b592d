import type { Database } from 'better-sqlite3';
import type { IdentifierRef, StoredOutboxRow } from '../profile-port.js';
import type { RebuildPage, RebuildRecord, RebuildStatus } from '../rebuild-port.js';
import { outboxRowFromDb, type OutboxDbRow } from './sqlite-profiles.js';

interface RebuildRow {
  id: number;
  status: RebuildStatus;
  requested_at: number;
  started_at: number | null;
  target_seq: number | null;
  hold_from: number | null;
  history_from: number | null;
  phase_after: string;
  profiles_done: number;
  profiles_total: number;
  finished_at: number | null;
  error: string | null;
}

const RUNNING = `status IN ('requested', 'replaying', 'folding', 'emitting')`;
const HOLDING = `status IN ('replaying', 'folding', 'emitting')`;

/** The rebuild part of the SQLite backend; every method is one statement or one transaction. */
export class SqliteRebuild {
  private readonly s: ReturnType<typeof prepareStatements>;

  constructor(private readonly db: Database) {
    this.s = prepareStatements(db);
  }

  requestRebuild(now: number): { rebuild: RebuildRecord; created: boolean } {
    return this.db
      .transaction(() => {
        const running = this.s.running.get() as RebuildRow | undefined;
        if (running) return { rebuild: toRecord(running), created: false };
        const id = Number(this.s.insert.run(now).lastInsertRowid);
        return { rebuild: toRecord(this.s.byId.get(id) as RebuildRow), created: true };
      })
      .immediate();
  }

  latestRebuild(): RebuildRecord | undefined {
    const row = this.s.latest.get() as RebuildRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  startRebuild(id: number, now: number, cursor: string): RebuildRecord {
    return this.db
      .transaction(() => {
        const row = this.s.byId.get(id) as RebuildRow | undefined;
        if (!row) throw new Error(`no rebuild ${id}`);
        if (row.status !== 'requested') return toRecord(row);
        const targetSeq = (this.s.lastSeq.get() as { seq: number }).seq;
        const holdFrom = (this.s.nextOutboxId.get() as { id: number }).id;
        const historyFrom = (this.s.nextHistoryId.get() as { id: number }).id;
        this.db.exec(`
          DELETE FROM rebuild_old_identifiers;
          DELETE FROM rebuild_old_members;
          INSERT INTO rebuild_old_identifiers (kind, value, profile_id)
            SELECT kind, value, profile_id FROM identifiers;
          INSERT INTO rebuild_old_members (profile_id, audience)
            SELECT profile_id, audience FROM audience_members;
          DELETE FROM profiles;
          DELETE FROM identifiers;
          DELETE FROM profile_events;
          DELETE FROM merges;
          DELETE FROM audience_members;
          DELETE FROM budget_sums;
          UPDATE trait_definitions SET status = 'ready', after_profile = '';
        `);
        this.s.setCursor.run(cursor, 0);
        this.s.start.run(now, targetSeq, holdFrom, historyFrom, id);
        return toRecord(this.s.byId.get(id) as RebuildRow);
      })
      .immediate();
  }

  endReplay(id: number): void {
    this.db
      .transaction(() => {
        const row = this.s.byId.get(id) as RebuildRow | undefined;
        if (row?.status !== 'replaying') return;
        this.s.discardOutbox.run(row.hold_from ?? Number.MAX_SAFE_INTEGER);
        this.s.discardHistory.run(row.history_from ?? Number.MAX_SAFE_INTEGER);
        const total = (this.s.countOldProfiles.get() as { n: number }).n;
        this.s.phase.run('folding', total, id);
      })
      .immediate();
  }

  beginEmitting(id: number): void {
    this.db
      .transaction(() => {
        const row = this.s.byId.get(id) as RebuildRow | undefined;
        if (row?.status !== 'folding') return;
        this.s.phase.run('emitting', (this.s.countLiveProfiles.get() as { n: number }).n, id);
      })
      .immediate();
  }

  commitRebuildPage(id: number, page: RebuildPage): void {
    this.db
      .transaction(() => {
        for (const row of page.outbox) {
          this.s.insertOutbox.run(
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
        for (const change of page.memberships) {
          this.s.insertHistory.run(change.profileId, change.audience, change.member ? 1 : 0, change.at);
        }
        for (const move of page.moveHistory) this.s.moveHistory.run(move.to, move.from);
        this.s.progress.run(page.phaseAfter, page.profilesDone, id);
      })
      .immediate();
  }

  completeRebuild(id: number, now: number): void {
    this.db
      .transaction(() => {
        this.db.exec(`DELETE FROM rebuild_old_identifiers; DELETE FROM rebuild_old_members;`);
        this.s.complete.run(now, id);
      })
      .immediate();
  }

  noteRebuildError(id: number, error: string): void {
    this.s.noteError.run(error.slice(0, 2000), id);
  }

  oldProfileIds(afterId: string, limit: number): string[] {
    return (this.s.oldIds.all(afterId, limit) as { profile_id: string }[]).map((row) => row.profile_id);
  }

  oldIdentifiersOf(profileId: string): IdentifierRef[] {
    return this.s.oldIdentifiersOf.all(profileId) as IdentifierRef[];
  }

  oldMembershipsOf(profileIds: string[]): Map<string, string[]> {
    const found = new Map<string, string[]>();
    for (const id of profileIds) {
      const rows = this.s.oldMembers.all(id) as { audience: string }[];
      if (rows.length > 0)
        found.set(
          id,
          rows.map((row) => row.audience),
        );
    }
    return found;
  }

  readDeliverableOutbox(afterId: number, limit: number): StoredOutboxRow[] {
    return (this.s.deliverable.all(afterId, limit) as OutboxDbRow[]).map(outboxRowFromDb);
  }
}

function toRecord(row: RebuildRow): RebuildRecord {
  return {
    id: row.id,
    status: row.status,
    requestedAt: row.requested_at,
    startedAt: row.started_at,
    targetSeq: row.target_seq,
    holdFrom: row.hold_from,
    phaseAfter: row.phase_after,
    profilesDone: row.profiles_done,
    profilesTotal: row.profiles_total,
    finishedAt: row.finished_at,
    error: row.error,
  };
}

function prepareStatements(db: Database) {
  return {
    running: db.prepare(`SELECT * FROM rebuilds WHERE ${RUNNING} ORDER BY id LIMIT 1`),
    latest: db.prepare(`SELECT * FROM rebuilds ORDER BY id DESC LIMIT 1`),
    byId: db.prepare(`SELECT * FROM rebuilds WHERE id = ?`),
    insert: db.prepare(`INSERT INTO rebuilds (status, requested_at) VALUES ('requested', ?)`),
    lastSeq: db.prepare(`SELECT coalesce(max(seq), 0) AS seq FROM events`),
    nextOutboxId: db.prepare(`SELECT coalesce(max(id), 0) + 1 AS id FROM outbox`),
    nextHistoryId: db.prepare(`SELECT coalesce(max(id), 0) + 1 AS id FROM membership_history`),
    setCursor: db.prepare(
      `INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`,
    ),
    start: db.prepare(
      `UPDATE rebuilds SET status = 'replaying', started_at = ?, target_seq = ?, hold_from = ?,
         history_from = ?, error = NULL WHERE id = ?`,
    ),
    discardOutbox: db.prepare(`DELETE FROM outbox WHERE id >= ?`),
    discardHistory: db.prepare(`DELETE FROM membership_history WHERE id >= ?`),
    phase: db.prepare(
      `UPDATE rebuilds SET status = ?, phase_after = '', profiles_done = 0, profiles_total = ?, error = NULL
       WHERE id = ?`,
    ),
    progress: db.prepare(`UPDATE rebuilds SET phase_after = ?, profiles_done = ?, error = NULL WHERE id = ?`),
    complete: db.prepare(
      `UPDATE rebuilds SET status = 'done', finished_at = ?, phase_after = '', error = NULL WHERE id = ?`,
    ),
    countOldProfiles: db.prepare(`SELECT count(DISTINCT profile_id) AS n FROM rebuild_old_identifiers`),
    countLiveProfiles: db.prepare(`SELECT count(*) AS n FROM profiles WHERE merged_into IS NULL`),
    noteError: db.prepare(`UPDATE rebuilds SET error = ? WHERE id = ?`),
    insertOutbox: db.prepare(
      `INSERT INTO outbox (profile_id, kind, name, value, profile_version, at, event_received_at, message_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertHistory: db.prepare(
      `INSERT INTO membership_history (profile_id, audience, member, at, cause, message_id)
       VALUES (?, ?, ?, ?, 'rebuild', NULL)`,
    ),
    moveHistory: db.prepare(`UPDATE membership_history SET profile_id = ? WHERE profile_id = ?`),
    oldIds: db.prepare(
      `SELECT DISTINCT profile_id FROM rebuild_old_identifiers WHERE profile_id > ? ORDER BY profile_id LIMIT ?`,
    ),
    oldIdentifiersOf: db.prepare(
      `SELECT kind, value FROM rebuild_old_identifiers WHERE profile_id = ? ORDER BY kind, value`,
    ),
    oldMembers: db.prepare(`SELECT audience FROM rebuild_old_members WHERE profile_id = ? ORDER BY audience`),
    deliverable: db.prepare(
      `SELECT * FROM outbox WHERE id > ?
         AND id < coalesce((SELECT min(hold_from) FROM rebuilds WHERE ${HOLDING}), 9007199254740991)
       ORDER BY id LIMIT ?`,
    ),
  };
}
