import BetterSqlite3, { type Database, type Statement, type Transaction } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname } from 'node:path';
import type { AudienceSums } from '../../engine/budget/schema.js';
import type { NewBudgetRun, StoredBudgetRun } from '../budget-port.js';
import { GroupCommitter } from '../group-commit.js';
import type {
  DeadLetter,
  DeliveredState,
  DeliveryLogEntry,
  DeliveryLogQuery,
  MatchStats,
  DeliveryResult,
  FanOutItem,
  FoldRules,
  MergePending,
  PendingChange,
  ReconcilePending,
} from '../delivery-port.js';
import type {
  CurrentMembership,
  IdentifierRef,
  MembershipChange,
  MergeRecord,
  ProcessingCommit,
  ProfileRecord,
  StoredOutboxRow,
  TraitDefinitionRow,
} from '../profile-port.js';
import {
  StoreUnavailableError,
  type AppendOutcome,
  type RelayStore,
  type EventType,
  type NewEvent,
  type StoredEvent,
} from '../port.js';
import { migrate } from './migrate.js';
import { SqliteBudget } from './sqlite-budget.js';
import { SqliteDelivery } from './sqlite-delivery.js';
import { SqliteProfiles } from './sqlite-profiles.js';
import { SqliteRebuild } from './sqlite-rebuild.js';
import { SqliteScores } from './sqlite-scores.js';
import type { ScoreSnapshot } from '../score-port.js';
import type { RebuildPage, RebuildRecord } from '../rebuild-port.js';

export type SqliteSynchronous = 'FULL' | 'NORMAL';

export interface SqliteStoreOptions {
  path: string;
  /** FULL (default) survives power loss; NORMAL survives a killed process only. See docs/storage.md. */
  synchronous?: SqliteSynchronous;
  busyTimeoutMs?: number;
  groupCommitWindowMs?: number;
  groupCommitMaxItems?: number;
  onCommit?: (stats: { items: number; requests: number; seconds: number }) => void;
}

interface EventRow {
  seq: number;
  shard_key: string;
  source: string;
  message_id: string;
  type: string;
  user_id: string | null;
  anonymous_id: string | null;
  event_time: number;
  received_at: number;
  body: string;
}

/** SQLite error codes that mean "cannot write right now", not "bug". */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|NOMEM|PROTOCOL)/;

export class SqliteStore implements RelayStore {
  readonly backend = 'sqlite';
  private readonly db: Database;
  /**
   * The connection event appends are written on. For a file with synchronous=FULL it is a second
   * connection in NORMAL mode whose commits are made durable by an fdatasync of the WAL file on the
   * thread pool (`syncWal`): the event loop keeps serving requests meanwhile, and no caller is
   * answered before its group's fsync. Otherwise it is `db` itself.
   */
  private readonly appendDb: Database;
  private readonly walPath: string | undefined;
  private walHandle: Promise<FileHandle> | undefined;
  private readonly appendBusyTimeoutMs: number;
  private readonly committer: GroupCommitter<NewEvent, AppendOutcome>;
  private readonly statements: {
    insertDedupeKey: Statement;
    insertEvent: Statement;
    nextSeq: Statement;
    byMessageId: Statement;
    byMessageIdAndSource: Statement;
    after: Statement;
    bySeq: Statement;
    count: Statement;
    lastSeq: Statement;
    pruneDedupe: Statement;
    pruneTimeline: Statement;
    pruneEvents: Statement;
  };
  private readonly profiles: SqliteProfiles;
  private readonly delivery: SqliteDelivery;
  private readonly rebuilds: SqliteRebuild;
  private readonly scores: SqliteScores;
  private readonly budget: SqliteBudget;
  /** A processing step and the budget sums its profile states add up to, in one transaction. */
  private readonly commitWithBudgetTx: Transaction<(commit: ProcessingCommit) => void>;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new BetterSqlite3(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    migrate(this.db);
    const synchronous = options.synchronous ?? 'FULL';
    const fileBacked = options.path !== ':memory:';
    this.appendDb = fileBacked ? new BetterSqlite3(options.path) : this.db;
    if (fileBacked) {
      this.appendDb.pragma('synchronous = NORMAL');
      // Waits for the write lock are asynchronous (appendGroupWhenFree): SQLite's own busy handler
      // would sleep on the event loop while the processing thread commits.
      this.appendDb.pragma('busy_timeout = 0');
    }
    this.appendBusyTimeoutMs = fileBacked ? (options.busyTimeoutMs ?? 5000) : 0;
    this.walPath = fileBacked && synchronous === 'FULL' ? `${options.path}-wal` : undefined;
    this.statements = {
      insertDedupeKey: this.appendDb.prepare(
        `INSERT INTO dedupe_keys (source, message_id, received_at, seq) VALUES (?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      ),
      insertEvent: this.appendDb.prepare(
        `INSERT INTO events (seq, shard_key, source, message_id, type, user_id, anonymous_id, event_time, received_at, body)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      nextSeq: this.appendDb.prepare(`SELECT coalesce(max(seq), 0) + 1 FROM events`).pluck(),
      byMessageId: this.db.prepare(
        `WITH RECURSIVE sources(source) AS (
           SELECT min(source) FROM dedupe_keys
           UNION ALL
           SELECT (SELECT min(source) FROM dedupe_keys WHERE source > sources.source)
             FROM sources WHERE sources.source IS NOT NULL
         )
         SELECT e.* FROM sources
           JOIN dedupe_keys d ON d.source = sources.source AND d.message_id = ?
           JOIN events e ON e.seq = d.seq
          ORDER BY e.seq`,
      ),
      byMessageIdAndSource: this.db.prepare(
        `SELECT e.* FROM dedupe_keys d JOIN events e ON e.seq = d.seq
          WHERE d.message_id = ? AND d.source = ? ORDER BY e.seq`,
      ),
      after: this.db.prepare(`SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?`),
      bySeq: this.db.prepare(`SELECT * FROM events WHERE seq = ?`),
      count: this.db.prepare(`SELECT count(*) AS n FROM events`),
      lastSeq: this.db.prepare(`SELECT coalesce(max(seq), 0) AS seq FROM events`),
      pruneDedupe: this.db.prepare(`DELETE FROM dedupe_keys WHERE received_at < ?`),
      pruneTimeline: this.db.prepare(`DELETE FROM profile_events WHERE event_time < ? AND seq <= ?`),
      pruneEvents: this.db.prepare(`DELETE FROM events WHERE event_time < ? AND seq <= ?`),
    };
    this.profiles = new SqliteProfiles(this.db);
    this.delivery = new SqliteDelivery(this.db);
    this.rebuilds = new SqliteRebuild(this.db);
    this.scores = new SqliteScores(this.db);
    this.budget = new SqliteBudget(this.db);
    this.commitWithBudgetTx = this.db.transaction((commit: ProcessingCommit) => {
      this.profiles.commitProcessing(commit);
      this.budget.applySumsDeltas(commit.budget ?? []);
    });
    const appendRows = this.appendDb.transaction((events: NewEvent[], seq: number) =>
      this.appendRows(events, seq),
    );
    const appendGroup = this.appendDb.transaction((events: NewEvent[]): AppendOutcome[] => {
      let seq = this.statements.nextSeq.get() as number;
      try {
        return appendRows(events, seq);
      } catch (error) {
        if (error !== DUPLICATE_IN_GROUP) throw error;
      }
      // Some event was a duplicate (rolled back to the savepoint): one row at a time.
      return events.map((event) => {
        const outcome = this.appendOne(event, seq);
        if (outcome === 'stored') seq++;
        return outcome;
      });
    });
    this.committer = new GroupCommitter<NewEvent, AppendOutcome>({
      commit: (events) => this.appendGroupWhenFree(() => appendGroup.immediate(events)),
      windowMs: options.groupCommitWindowMs ?? 0,
      maxItems: options.groupCommitMaxItems ?? 5000,
      afterCommit: this.walPath === undefined ? undefined : () => this.syncWal(),
      onCommit: options.onCommit,
    });
  }

  appendEvents(events: NewEvent[]): Promise<AppendOutcome[]> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('store is closed'));
    if (events.length === 0) return Promise.resolve([]);
    return this.committer.submit(events);
  }

  async findEventsByMessageId(messageId: string, source?: string): Promise<StoredEvent[]> {
    const rows = (
      source === undefined
        ? this.statements.byMessageId.all(messageId)
        : this.statements.byMessageIdAndSource.all(messageId, source)
    ) as EventRow[];
    return rows.map(toStoredEvent);
  }

  async readEventsAfter(afterSeq: number, limit: number): Promise<StoredEvent[]> {
    return (this.statements.after.all(afterSeq, limit) as EventRow[]).map(toStoredEvent);
  }

  async countEvents(): Promise<number> {
    return (this.statements.count.get() as { n: number }).n;
  }

  async lastSeq(): Promise<number> {
    return (this.statements.lastSeq.get() as { seq: number }).seq;
  }

  async pruneDedupeKeys(receivedBefore: number): Promise<number> {
    return this.guard(() => this.statements.pruneDedupe.run(receivedBefore).changes);
  }

  async pruneEvents(eventTimeBefore: number, processedSeq: number): Promise<number> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          this.statements.pruneTimeline.run(eventTimeBefore, processedSeq);
          return this.statements.pruneEvents.run(eventTimeBefore, processedSeq).changes;
        })
        .immediate(),
    );
  }

  async checkWritable(): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('store is closed');
    this.guard(() => {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.committer.drain();
    if (this.walHandle !== undefined) await (await this.walHandle.catch(() => undefined))?.close();
    if (this.appendDb !== this.db) this.appendDb.close();
    this.db.close();
  }

  async readEventsBySeq(seqs: number[]): Promise<StoredEvent[]> {
    const rows = seqs.map((seq) => this.statements.bySeq.get(seq) as EventRow | undefined);
    return rows.filter((row): row is EventRow => row !== undefined).map(toStoredEvent);
  }

  async readCursor(name: string): Promise<number> {
    return this.profiles.readCursor(name);
  }

  async findProfileIds(identifiers: IdentifierRef[]): Promise<Map<string, string>> {
    return this.profiles.findProfileIds(identifiers);
  }

  async loadProfiles(ids: string[]): Promise<ProfileRecord[]> {
    return this.profiles.loadProfiles(ids);
  }

  async commitProcessing(commit: ProcessingCommit): Promise<void> {
    if (commit.budget === undefined || commit.budget.length === 0)
      this.guard(() => this.profiles.commitProcessing(commit));
    else this.guard(() => this.commitWithBudgetTx.immediate(commit));
  }

  async profileEventSeqs(profileId: string, limit?: number): Promise<number[]> {
    return this.profiles.profileEventSeqs(profileId, limit);
  }

  async mergesOf(profileId: string): Promise<MergeRecord[]> {
    return this.profiles.mergesOf(profileId);
  }

  async membershipHistory(profileId: string, limit: number): Promise<MembershipChange[]> {
    return this.profiles.membershipHistory(profileId, limit);
  }

  async membershipsOf(profileId: string): Promise<CurrentMembership[]> {
    return this.profiles.membershipsOf(profileId);
  }

  async listProfileIds(afterId: string, limit: number): Promise<string[]> {
    return this.profiles.listProfileIds(afterId, limit);
  }

  async countProfiles(): Promise<number> {
    return this.profiles.countProfiles();
  }

  async dueProfiles(now: number, limit: number): Promise<string[]> {
    return this.profiles.dueProfiles(now, limit);
  }

  async nextWakeAt(): Promise<number | undefined> {
    return this.profiles.nextWakeAt();
  }

  async audienceSizes(): Promise<Record<string, number>> {
    return this.profiles.audienceSizes();
  }

  async audienceMembers(audience: string, limit: number): Promise<string[]> {
    return this.profiles.audienceMembers(audience, limit);
  }

  async recordAudienceSizes(at: number, sizes: Record<string, number>): Promise<void> {
    this.guard(() => this.profiles.recordAudienceSizes(at, sizes));
  }

  async audienceSizeHistory(audience: string, since: number): Promise<{ at: number; size: number }[]> {
    return this.profiles.audienceSizeHistory(audience, since);
  }

  async readOutbox(afterId: number, limit: number): Promise<StoredOutboxRow[]> {
    return this.profiles.readOutbox(afterId, limit);
  }

  async traitDefinitions(): Promise<TraitDefinitionRow[]> {
    return this.profiles.traitDefinitions();
  }

  async saveTraitDefinitions(rows: TraitDefinitionRow[], removed: string[]): Promise<void> {
    this.guard(() => this.profiles.saveTraitDefinitions(rows, removed));
  }

  async fanOut(items: FanOutItem[], outboxId: number, merge: MergePending, folds: FoldRules): Promise<void> {
    this.guard(() => this.delivery.fanOut(items, outboxId, merge, folds));
  }

  async duePending(destination: string, now: number, limit: number): Promise<PendingChange[]> {
    return this.delivery.duePending(destination, now, limit);
  }

  async oldestDue(destination: string, now: number): Promise<number | undefined> {
    return this.delivery.oldestDue(destination, now);
  }

  async pendingCount(destination: string): Promise<number> {
    return this.delivery.pendingCount(destination);
  }

  async settleDelivery(
    destination: string,
    results: DeliveryResult[],
    now: number,
    reconcile: ReconcilePending,
    log: DeliveryLogEntry[],
    folds: FoldRules,
  ): Promise<void> {
    this.guard(() => this.delivery.settleDelivery(destination, results, now, reconcile, log, folds));
  }

  async searchDeliveryLog(query: DeliveryLogQuery): Promise<DeliveryLogEntry[]> {
    return this.delivery.searchDeliveryLog(query);
  }

  async pruneDeliveryLog(before: number): Promise<number> {
    return this.guard(() => this.delivery.pruneDeliveryLog(before));
  }

  async deadLetters(query: {
    destination?: string;
    includeReplayed?: boolean;
    limit: number;
  }): Promise<DeadLetter[]> {
    return this.delivery.deadLetters(query);
  }

  async replayDeadLetters(
    ids: number[] | 'all',
    destination: string | undefined,
    now: number,
  ): Promise<number> {
    return this.guard(() => this.delivery.replayDeadLetters(ids, destination, now));
  }

  async deliveredState(destination: string, profileId: string): Promise<DeliveredState | undefined> {
    return this.delivery.deliveredState(destination, profileId);
  }

  async heldKeys(
    destination: string,
    profileIds: string[],
  ): Promise<Map<string, Record<string, Record<string, string>[]>>> {
    return this.delivery.ledger.heldKeys(destination, profileIds);
  }

  async destinationMemory(
    destination: string,
    profileIds: string[],
  ): Promise<Map<string, Record<string, string>>> {
    return this.delivery.ledger.destinationMemory(destination, profileIds);
  }

  async dueAsyncPolls(destination: string, now: number, limit: number): Promise<DeliveryLogEntry[]> {
    return this.delivery.dueAsyncPolls(destination, now, limit);
  }

  async recordAsyncPoll(
    id: number,
    result:
      | { state: 'pending'; nextPollAt: number }
      | { state: 'done'; status: string; detail: string; at: number },
  ): Promise<void> {
    this.guard(() => this.delivery.recordAsyncPoll(id, result));
  }

  async matchStats(destination?: string): Promise<MatchStats[]> {
    return this.delivery.ledger.matchStats(destination);
  }

  async requestRebuild(now: number): Promise<{ rebuild: RebuildRecord; created: boolean }> {
    return this.guard(() => this.rebuilds.requestRebuild(now));
  }

  async latestRebuild(): Promise<RebuildRecord | undefined> {
    return this.rebuilds.latestRebuild();
  }

  async startRebuild(id: number, now: number, cursor: string): Promise<RebuildRecord> {
    return this.guard(() => this.rebuilds.startRebuild(id, now, cursor));
  }

  async endReplay(id: number): Promise<void> {
    this.guard(() => this.rebuilds.endReplay(id));
  }

  async beginEmitting(id: number): Promise<void> {
    this.guard(() => this.rebuilds.beginEmitting(id));
  }

  async commitRebuildPage(id: number, page: RebuildPage): Promise<void> {
    this.guard(() => this.rebuilds.commitRebuildPage(id, page));
  }

  async completeRebuild(id: number, now: number): Promise<void> {
    this.guard(() => this.rebuilds.completeRebuild(id, now));
  }

  async noteRebuildError(id: number, error: string): Promise<void> {
    this.guard(() => this.rebuilds.noteRebuildError(id, error));
  }

  async oldProfileIds(afterId: string, limit: number): Promise<string[]> {
    return this.rebuilds.oldProfileIds(afterId, limit);
  }

  async oldIdentifiersOf(profileId: string): Promise<IdentifierRef[]> {
    return this.rebuilds.oldIdentifiersOf(profileId);
  }

  async oldMembershipsOf(profileIds: string[]): Promise<Map<string, string[]>> {
    return this.rebuilds.oldMembershipsOf(profileIds);
  }

  async readDeliverableOutbox(afterId: number, limit: number): Promise<StoredOutboxRow[]> {
    return this.rebuilds.readDeliverableOutbox(afterId, limit);
  }

  async budgetSums(audiences: readonly string[]): Promise<Map<string, AudienceSums>> {
    return this.budget.budgetSums(audiences);
  }

  async saveBudgetRun(run: NewBudgetRun): Promise<StoredBudgetRun> {
    return this.guard(() => this.budget.saveBudgetRun(run));
  }

  async latestBudgetRun(): Promise<StoredBudgetRun | undefined> {
    return this.budget.latestBudgetRun();
  }

  async budgetRuns(limit: number, beforeId?: number): Promise<StoredBudgetRun[]> {
    return this.budget.budgetRuns(limit, beforeId);
  }

  async pruneBudgetRuns(beforeMs: number): Promise<number> {
    return this.guard(() => this.budget.pruneBudgetRuns(beforeMs));
  }

  async saveScoreSnapshots(snapshots: readonly ScoreSnapshot[]): Promise<void> {
    this.guard(() => this.scores.saveSnapshots(snapshots));
  }

  async latestScoreSnapshots(): Promise<ScoreSnapshot[]> {
    return this.scores.latest();
  }

  async scoreHistory(series: string, limit: number): Promise<ScoreSnapshot[]> {
    return this.scores.history(series, limit);
  }

  async scoreSnapshotOnOrBefore(series: string, day: string): Promise<ScoreSnapshot | undefined> {
    return this.scores.onOrBefore(series, day);
  }

  async firstScoreSnapshot(series: string, beforeDay: string): Promise<ScoreSnapshot | undefined> {
    return this.scores.first(series, beforeDay);
  }

  /**
   * Runs an append transaction, retrying while another connection (the processing thread) holds
   * the write lock, for up to the busy timeout, without blocking the event loop meanwhile.
   */
  private async appendGroupWhenFree(append: () => AppendOutcome[]): Promise<AppendOutcome[]> {
    const deadline = Date.now() + this.appendBusyTimeoutMs;
    for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 8)) {
      try {
        return append();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== 'SQLITE_BUSY' || Date.now() >= deadline) {
          return this.guard(() => {
            throw error;
          });
        }
      }
      await sleep(waitMs);
    }
  }

  /**
   * Makes every commit so far durable: fdatasync of the WAL file (what synchronous=FULL does inside
   * COMMIT, here off the event loop). The WAL file keeps its inode while connections are open.
   */
  private async syncWal(): Promise<void> {
    const path = this.walPath as string;
    this.walHandle ??= open(path, 'r');
    try {
      await (await this.walHandle).datasync();
    } catch (error) {
      this.walHandle = undefined;
      const code = (error as { code?: unknown }).code;
      throw new StoreUnavailableError(`sqlite cannot sync: ${String(code ?? error)}`, error);
    }
  }

  /**
   * The common case, every event new: one multi-row insert into dedupe_keys and one into events per
   * chunk, seqs assigned from `firstSeq`. Throws DUPLICATE_IN_GROUP (its savepoint is rolled back)
   * when a key was already there.
   */
  private appendRows(events: NewEvent[], firstSeq: number): AppendOutcome[] {
    for (let start = 0; start < events.length;) {
      const rows = chunkSize(events.length - start);
      const keys: unknown[] = [];
      const values: unknown[] = [];
      for (let i = start; i < start + rows; i++) {
        const event = events[i] as NewEvent;
        const seq = firstSeq + i;
        keys.push(event.source, event.messageId, event.receivedAt, seq);
        values.push(
          seq,
          event.shardKey,
          event.source,
          event.messageId,
          event.type,
          event.userId,
          event.anonymousId,
          event.eventTime,
          event.receivedAt,
          event.body,
        );
      }
      if (this.multiRow('dedupe', rows).run(keys).changes !== rows) throw DUPLICATE_IN_GROUP;
      this.multiRow('events', rows).run(values);
      start += rows;
    }
    return events.map(() => 'stored');
  }

  private readonly multiRowStatements = new Map<string, Statement>();

  private multiRow(table: 'dedupe' | 'events', rows: number): Statement {
    const key = `${table}:${rows}`;
    let statement = this.multiRowStatements.get(key);
    if (statement === undefined) {
      statement = this.appendDb.prepare(
        table === 'dedupe'
          ? `INSERT INTO dedupe_keys (source, message_id, received_at, seq) VALUES ${placeholders(4, rows)}
             ON CONFLICT DO NOTHING`
          : `INSERT INTO events (seq, shard_key, source, message_id, type, user_id, anonymous_id, event_time, received_at, body)
             VALUES ${placeholders(10, rows)}`,
      );
      this.multiRowStatements.set(key, statement);
    }
    return statement;
  }

  private appendOne(event: NewEvent, seq: number): AppendOutcome {
    const isNew =
      this.statements.insertDedupeKey.run(event.source, event.messageId, event.receivedAt, seq).changes === 1;
    if (!isNew) return 'duplicate';
    this.statements.insertEvent.run(
      seq,
      event.shardKey,
      event.source,
      event.messageId,
      event.type,
      event.userId,
      event.anonymousId,
      event.eventTime,
      event.receivedAt,
      event.body,
    );
    return 'stored';
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
        throw new StoreUnavailableError(`sqlite cannot write: ${code}`, error);
      }
      throw error;
    }
  }
}

/** Thrown inside the multi-row savepoint when an event of the group is a duplicate. */
const DUPLICATE_IN_GROUP = Symbol('duplicate in group');

/** Rows per multi-row insert: powers of two up to 128, so a handful of statements serve every size. */
function chunkSize(remaining: number): number {
  let size = 128;
  while (size > remaining) size >>= 1;
  return size;
}

function placeholders(columns: number, rows: number): string {
  const row = `(${Array(columns).fill('?').join(', ')})`;
  return Array(rows).fill(row).join(', ');
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    shardKey: row.shard_key,
    source: row.source,
    messageId: row.message_id,
    type: row.type as EventType,
    userId: row.user_id,
    anonymousId: row.anonymous_id,
    eventTime: row.event_time,
    receivedAt: row.received_at,
    body: JSON.parse(row.body) as Record<string, unknown>,
  };
}
