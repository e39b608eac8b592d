import type { Database } from 'better-sqlite3';
import { SqliteLedger } from './sqlite-ledger.js';
import type {
  ChangeSet,
  DeadLetter,
  DeliveredState,
  DeliveryLogEntry,
  DeliveryLogQuery,
  DeliveryResult,
  FanOutFold,
  FanOutItem,
  FoldRules,
  MergePending,
  PendingChange,
  ReconcilePending,
} from '../delivery-port.js';

/** How long a fold is remembered for requests that were in flight when it happened. */
const FOLD_MEMORY_MS = 24 * 60 * 60 * 1000;

interface PendingRow {
  destination: string;
  profile_id: string;
  version: number;
  audiences: string;
  traits: string;
  caused_by: string;
  first_received_at: number | null;
  enqueued_at: number;
  attempts: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
  last_error: string | null;
}

interface LogRow {
  id: number;
  destination: string;
  at: number;
  status: string;
  attempt: number;
  latency_ms: number;
  items: number;
  profile_ids: string;
  message_ids: string;
  request_body: string;
  response_excerpt: string;
  outcome: string;
  audience: string | null;
  report: string | null;
  async_state: 'pending' | 'done' | null;
  async_result: string | null;
  next_poll_at: number | null;
}

/** The delivery part of the SQLite backend. */
export class SqliteDelivery {
  private readonly s: ReturnType<typeof prepareStatements>;
  readonly ledger: SqliteLedger;

  constructor(private readonly db: Database) {
    this.s = prepareStatements(db);
    this.ledger = new SqliteLedger(db);
  }

  fanOut(items: FanOutItem[], outboxId: number, merge: MergePending, folds: FoldRules): void {
    this.db
      .transaction(() => {
        for (const item of items) {
          if (item.kind === 'fold') {
            this.fold(item, folds);
            continue;
          }
          // A profile that gets changes again is live (a rebuild can bring back a merged-away id).
          this.s.deleteFold.run(item.destination, item.profileId);
          this.writePending(merge(this.pending(item.destination, item.profileId), item));
        }
        this.s.setCursor.run('delivery', outboxId);
      })
      .immediate();
  }

  /** Folds what the destination was told of the merged profile into the survivor's state (rule: `folds.fold`). */
  private fold(item: FanOutFold, folds: FoldRules): void {
    const { destination, profileId, mergedProfileId } = item;
    if (profileId === mergedProfileId) return;
    const next = folds.fold(
      this.deliveredState(destination, profileId),
      this.deliveredState(destination, mergedProfileId),
    );
    if (next)
      this.writeState(destination, profileId, next, this.deliveredKeyVersions(destination, profileId));
    if (item.keepMerged) return;
    this.ledger.fold(destination, profileId, mergedProfileId, item.at);
    this.s.deletePending.run(destination, mergedProfileId);
    this.s.deleteState.run(destination, mergedProfileId);
    this.s.upsertFold.run(destination, mergedProfileId, profileId, item.at);
    this.s.pruneFolds.run(item.at - FOLD_MEMORY_MS);
  }

  /** The live profile a folded profile ended up in (following later folds), if it was folded away. */
  private foldedInto(destination: string, profileId: string): string | undefined {
    let current = profileId;
    for (let guard = 0; guard < 100; guard++) {
      const row = this.s.foldOf.get(destination, current) as { into_profile_id: string } | undefined;
      if (!row) break;
      current = row.into_profile_id;
    }
    return current === profileId ? undefined : current;
  }

  duePending(destination: string, now: number, limit: number): PendingChange[] {
    return (this.s.due.all(destination, now, limit) as PendingRow[]).map(toPending);
  }

  oldestDue(destination: string, now: number): number | undefined {
    return (this.s.oldestDue.get(destination, now) as { at: number | null }).at ?? undefined;
  }

  pendingCount(destination: string): number {
    return (this.s.pendingCount.get(destination) as { n: number }).n;
  }

  settleDelivery(
    destination: string,
    results: DeliveryResult[],
    now: number,
    reconcile: ReconcilePending,
    log: DeliveryLogEntry[],
    folds: FoldRules,
  ): void {
    this.db
      .transaction(() => {
        this.insertLogEntries(log);
        // Delivered and dead keys settle first; a retry of the same profile then keeps the rest waiting.
        const ordered = [...results].sort((a, b) => Number(a.kind === 'retry') - Number(b.kind === 'retry'));
        const retrying = new Set(results.filter((r) => r.kind === 'retry').map((r) => r.profileId));
        for (const result of ordered) {
          const pending = this.pending(destination, result.profileId);
          if (result.kind === 'retry') {
            if (pending) {
              this.writePending({
                ...pending,
                attempts: pending.attempts + 1,
                nextAttemptAt: result.nextAttemptAt,
                firstAttemptAt: pending.firstAttemptAt ?? now,
                lastError: result.reason,
              });
            }
            continue;
          }
          const survivor = this.foldedInto(destination, result.profileId);
          if (result.kind === 'delivered') {
            const holder = survivor ?? result.profileId;
            if (result.hold) this.ledger.applyHold(destination, holder, result.hold, now);
            if (result.remember) this.ledger.remember(destination, holder, result.remember);
          }
          if (result.kind === 'delivered' && survivor !== undefined) {
            // Folded away while in flight: the survivor now speaks for what was just sent.
            const before = this.deliveredState(destination, survivor);
            const next = folds.lateDelivery(before, result.sent);
            this.writeState(destination, survivor, next, this.deliveredKeyVersions(destination, survivor));
          } else if (result.kind === 'delivered') {
            this.recordDelivered(destination, result.profileId, result.sent);
          } else {
            const change = { ...result.sent, causedBy: pending?.causedBy ?? [] };
            this.s.insertDead.run(
              destination,
              result.profileId,
              JSON.stringify(change),
              result.reason,
              (pending?.attempts ?? 0) + 1,
              pending?.firstAttemptAt ?? now,
              now,
            );
          }
          const rest = pending ? reconcile(pending, result.sent) : null;
          if (rest && retrying.has(result.profileId)) this.writePending(rest);
          else if (rest)
            this.writePending({
              ...rest,
              attempts: 0,
              firstAttemptAt: null,
              lastError: null,
              nextAttemptAt: now,
            });
          else this.s.deletePending.run(destination, result.profileId);
        }
      })
      .immediate();
  }

  private insertLogEntries(entries: DeliveryLogEntry[]): void {
    for (const e of entries) {
      this.s.insertLog.run(
        e.destination,
        e.at,
        e.status,
        e.attempt,
        e.latencyMs,
        e.items,
        ` ${e.profileIds.join(' ')} `,
        ` ${e.messageIds.join(' ')} `,
        e.requestBody,
        e.responseExcerpt,
        e.outcome,
        e.audience ?? null,
        e.report ? JSON.stringify(e.report) : null,
        e.asyncState ?? null,
        e.asyncResult ? JSON.stringify(e.asyncResult) : null,
        e.nextPollAt ?? null,
      );
      this.ledger.recordReport(e);
    }
  }

  dueAsyncPolls(destination: string, now: number, limit: number): DeliveryLogEntry[] {
    return (this.s.dueAsync.all(destination, now, limit) as LogRow[]).map(toLogEntry);
  }

  recordAsyncPoll(
    id: number,
    result:
      | { state: 'pending'; nextPollAt: number }
      | { state: 'done'; status: string; detail: string; at: number },
  ): void {
    if (result.state === 'pending') this.s.pollLater.run(result.nextPollAt, id);
    else
      this.s.pollDone.run(
        JSON.stringify({ status: result.status, detail: result.detail, at: result.at }),
        id,
      );
  }

  searchDeliveryLog(query: DeliveryLogQuery): DeliveryLogEntry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, ...values: (string | number)[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (query.destination) add('destination = ?', query.destination);
    if (query.status) add('status = ?', query.status);
    if (query.profileId) add(`profile_ids LIKE ? ESCAPE '\\'`, `% ${escapeLike(query.profileId)} %`);
    if (query.since !== undefined) add('at >= ?', query.since);
    if (query.until !== undefined) add('at <= ?', query.until);
    if (query.text) {
      const like = `%${escapeLike(query.text)}%`;
      add(
        `(request_body LIKE ? ESCAPE '\\' OR response_excerpt LIKE ? ESCAPE '\\' OR outcome LIKE ? ESCAPE '\\' OR message_ids LIKE ? ESCAPE '\\')`,
        like,
        like,
        like,
        like,
      );
    }
    const sql = `SELECT * FROM delivery_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, query.limit) as LogRow[]).map(toLogEntry);
  }

  pruneDeliveryLog(before: number): number {
    return this.s.pruneLog.run(before).changes;
  }

  deadLetters(query: { destination?: string; includeReplayed?: boolean; limit: number }): DeadLetter[] {
    // Named parameters: better-sqlite3 refuses positional values for numbered `?1` placeholders.
    const rows = this.s.deadLetters.all({
      destination: query.destination ?? null,
      replayed: query.includeReplayed ? 1 : 0,
      limit: query.limit,
    }) as DeadRow[];
    return rows.map(toDeadLetter);
  }

  replayDeadLetters(ids: number[] | 'all', destination: string | undefined, now: number): number {
    return this.db
      .transaction(() => {
        const letters = this.deadLetters({
          limit: 1_000_000,
          ...(destination ? { destination } : {}),
        }).filter((letter) => ids === 'all' || ids.includes(letter.id));
        for (const letter of letters) {
          this.s.markReplayed.run(now, letter.id);
          const change = this.notDeliveredSince(letter);
          if (!change) continue;
          const pending = this.pending(letter.destination, letter.profileId);
          // Anything pending now is newer than the dead change: its values win.
          this.writePending({
            destination: letter.destination,
            profileId: letter.profileId,
            version: Math.max(letter.change.version, pending?.version ?? 0),
            audiences: { ...change.audiences, ...pending?.audiences },
            traits: { ...change.traits, ...pending?.traits },
            causedBy: [...new Set([...letter.change.causedBy, ...(pending?.causedBy ?? [])])].slice(-20),
            firstReceivedAt: pending?.firstReceivedAt ?? null,
            enqueuedAt: now,
            attempts: 0,
            nextAttemptAt: now,
            firstAttemptAt: null,
            lastError: null,
          });
        }
        return letters.length;
      })
      .immediate();
  }

  deliveredState(destination: string, profileId: string): DeliveredState | undefined {
    const row = this.s.state.get(destination, profileId) as
      { version: number; audiences: string; traits: string } | undefined;
    if (!row) return undefined;
    return { version: row.version, audiences: JSON.parse(row.audiences), traits: JSON.parse(row.traits) };
  }

  private recordDelivered(destination: string, profileId: string, sent: ChangeSet): void {
    const before = this.deliveredState(destination, profileId);
    const keyVersions = this.deliveredKeyVersions(destination, profileId);
    for (const key of changeKeys(sent)) keyVersions[key] = sent.version;
    const state: DeliveredState = {
      version: Math.max(sent.version, before?.version ?? 0),
      audiences: { ...before?.audiences, ...sent.audiences },
      traits: { ...before?.traits, ...sent.traits },
    };
    this.writeState(destination, profileId, state, keyVersions);
  }

  private writeState(
    destination: string,
    profileId: string,
    state: DeliveredState,
    keyVersions: Record<string, number>,
  ): void {
    this.s.upsertState.run(
      destination,
      profileId,
      state.version,
      JSON.stringify(state.audiences),
      JSON.stringify(state.traits),
      JSON.stringify(keyVersions),
    );
  }

  /** Profile version each audience / trait (`audience:<name>`, `trait:<name>`) was last delivered at. */
  private deliveredKeyVersions(destination: string, profileId: string): Record<string, number> {
    const row = this.s.state.get(destination, profileId) as { key_versions: string } | undefined;
    return row ? (JSON.parse(row.key_versions) as Record<string, number>) : {};
  }

  /**
   * A dead letter's change without the keys the destination has been told a newer value of since
   * (delivered at a higher profile version): replaying those would send an older state after a newer
   * one. Undefined when nothing is left.
   */
  private notDeliveredSince(letter: DeadLetter): ChangeSet | undefined {
    const delivered = this.deliveredKeyVersions(letter.destination, letter.profileId);
    const current = (key: string) => (delivered[key] ?? 0) <= letter.change.version;
    const change: ChangeSet = {
      version: letter.change.version,
      audiences: Object.fromEntries(
        Object.entries(letter.change.audiences).filter(([name]) => current(`audience:${name}`)),
      ),
      traits: Object.fromEntries(
        Object.entries(letter.change.traits).filter(([name]) => current(`trait:${name}`)),
      ),
    };
    return changeKeys(change).length > 0 ? change : undefined;
  }

  private pending(destination: string, profileId: string): PendingChange | undefined {
    const row = this.s.pending.get(destination, profileId) as PendingRow | undefined;
    return row ? toPending(row) : undefined;
  }

  private writePending(p: PendingChange): void {
    this.s.upsertPending.run(
      p.destination,
      p.profileId,
      p.version,
      JSON.stringify(p.audiences),
      JSON.stringify(p.traits),
      JSON.stringify(p.causedBy),
      p.firstReceivedAt,
      p.enqueuedAt,
      p.attempts,
      p.nextAttemptAt,
      p.firstAttemptAt,
      p.lastError,
    );
  }
}

interface DeadRow {
  id: number;
  destination: string;
  profile_id: string;
  change: string;
  reason: string;
  attempts: number;
  first_attempt_at: number | null;
  dead_at: number;
  replayed_at: number | null;
}

function changeKeys(change: ChangeSet): string[] {
  return [
    ...Object.keys(change.audiences).map((name) => `audience:${name}`),
    ...Object.keys(change.traits).map((name) => `trait:${name}`),
  ];
}

function toDeadLetter(row: DeadRow): DeadLetter {
  return {
    id: row.id,
    destination: row.destination,
    profileId: row.profile_id,
    change: JSON.parse(row.change),
    reason: row.reason,
    attempts: row.attempts,
    firstAttemptAt: row.first_attempt_at,
    deadAt: row.dead_at,
    replayedAt: row.replayed_at,
  };
}

function toPending(row: PendingRow): PendingChange {
  return {
    destination: row.destination,
    profileId: row.profile_id,
    version: row.version,
    audiences: JSON.parse(row.audiences),
    traits: JSON.parse(row.traits),
    causedBy: JSON.parse(row.caused_by),
    firstReceivedAt: row.first_received_at,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    firstAttemptAt: row.first_attempt_at,
    lastError: row.last_error,
  };
}

function toLogEntry(row: LogRow): DeliveryLogEntry {
  return {
    id: row.id,
    destination: row.destination,
    at: row.at,
    status: row.status,
    attempt: row.attempt,
    latencyMs: row.latency_ms,
    items: row.items,
    profileIds: row.profile_ids.trim().split(' ').filter(Boolean),
    messageIds: row.message_ids.trim().split(' ').filter(Boolean),
    requestBody: row.request_body,
    responseExcerpt: row.response_excerpt,
    outcome: row.outcome,
    ...(row.audience !== null ? { audience: row.audience } : {}),
    ...(row.report !== null ? { report: JSON.parse(row.report) } : {}),
    ...(row.async_state !== null ? { asyncState: row.async_state } : {}),
    ...(row.async_result !== null ? { asyncResult: JSON.parse(row.async_result) } : {}),
    ...(row.next_poll_at !== null ? { nextPollAt: row.next_poll_at } : {}),
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function prepareStatements(db: Database) {
  return {
    cursor: db.prepare(`SELECT seq FROM cursors WHERE name = ?`),
    setCursor: db.prepare(
      `INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`,
    ),
    pending: db.prepare(`SELECT * FROM delivery_pending WHERE destination = ? AND profile_id = ?`),
    upsertPending: db.prepare(
      `INSERT INTO delivery_pending (destination, profile_id, version, audiences, traits, caused_by,
         first_received_at, enqueued_at, attempts, next_attempt_at, first_attempt_at, last_error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (destination, profile_id) DO UPDATE SET version = excluded.version,
         audiences = excluded.audiences, traits = excluded.traits, caused_by = excluded.caused_by,
         first_received_at = excluded.first_received_at, enqueued_at = excluded.enqueued_at,
         attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
         first_attempt_at = excluded.first_attempt_at, last_error = excluded.last_error`,
    ),
    deletePending: db.prepare(`DELETE FROM delivery_pending WHERE destination = ? AND profile_id = ?`),
    due: db.prepare(
      `SELECT * FROM delivery_pending WHERE destination = ? AND next_attempt_at <= ?
       ORDER BY enqueued_at, profile_id LIMIT ?`,
    ),
    oldestDue: db.prepare(
      `SELECT min(enqueued_at) AS at FROM delivery_pending WHERE destination = ? AND next_attempt_at <= ?`,
    ),
    pendingCount: db.prepare(`SELECT count(*) AS n FROM delivery_pending WHERE destination = ?`),
    state: db.prepare(`SELECT * FROM delivery_state WHERE destination = ? AND profile_id = ?`),
    upsertState: db.prepare(
      `INSERT INTO delivery_state (destination, profile_id, version, audiences, traits, key_versions)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (destination, profile_id) DO UPDATE SET version = excluded.version,
         audiences = excluded.audiences, traits = excluded.traits, key_versions = excluded.key_versions`,
    ),
    deleteState: db.prepare(`DELETE FROM delivery_state WHERE destination = ? AND profile_id = ?`),
    upsertFold: db.prepare(
      `INSERT INTO delivery_folds (destination, profile_id, into_profile_id, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (destination, profile_id) DO UPDATE SET into_profile_id = excluded.into_profile_id,
         at = excluded.at`,
    ),
    foldOf: db.prepare(`SELECT into_profile_id FROM delivery_folds WHERE destination = ? AND profile_id = ?`),
    deleteFold: db.prepare(`DELETE FROM delivery_folds WHERE destination = ? AND profile_id = ?`),
    pruneFolds: db.prepare(`DELETE FROM delivery_folds WHERE at < ?`),
    insertDead: db.prepare(
      `INSERT INTO dead_letters (destination, profile_id, change, reason, attempts, first_attempt_at, dead_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    deadLetters: db.prepare(
      `SELECT * FROM dead_letters WHERE (@destination IS NULL OR destination = @destination)
         AND (@replayed = 1 OR replayed_at IS NULL)
       ORDER BY id DESC LIMIT @limit`,
    ),
    markReplayed: db.prepare(`UPDATE dead_letters SET replayed_at = ? WHERE id = ?`),
    insertLog: db.prepare(
      `INSERT INTO delivery_log (destination, at, status, attempt, latency_ms, items, profile_ids, message_ids,
         request_body, response_excerpt, outcome, audience, report, async_state, async_result, next_poll_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    dueAsync: db.prepare(
      `SELECT * FROM delivery_log WHERE destination = ? AND async_state = 'pending' AND next_poll_at <= ?
       ORDER BY next_poll_at LIMIT ?`,
    ),
    pollLater: db.prepare(`UPDATE delivery_log SET next_poll_at = ? WHERE id = ?`),
    pollDone: db.prepare(
      `UPDATE delivery_log SET async_state = 'done', async_result = ?, next_poll_at = NULL WHERE id = ?`,
    ),
    pruneLog: db.prepare(`DELETE FROM delivery_log WHERE at < ?`),
  };
}
