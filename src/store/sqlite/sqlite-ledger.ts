import type { Database } from 'better-sqlite3';
import type { DeliveryLogEntry, HoldChange, MatchStats } from '../delivery-port.js';

type KeySet = Record<string, string>;

/**
 * The set-destination side of the SQLite delivery store: the ledger of what each ad platform holds
 * (key sets per audience and profile), what destinations' answers taught about profiles, per-audience
 * counters for the match view, and the asynchronous results of requests. Its writes run inside the
 * caller's transaction (SqliteDelivery).
 */
export class SqliteLedger {
  private readonly s: ReturnType<typeof prepareStatements>;

  constructor(db: Database) {
    this.s = prepareStatements(db);
  }

  /** Adds a key set to (or, with `null`, drops) the person's ledger entry per audience; counts it. */
  applyHold(destination: string, profileId: string, hold: HoldChange, now: number): void {
    for (const [audience, keySet] of Object.entries(hold)) {
      if (keySet === null) {
        this.s.deleteEntry.run(destination, audience, profileId);
        this.bump(destination, audience, { removed: 1 }, now);
        continue;
      }
      const held = this.keySetsOf(destination, audience, profileId);
      const text = JSON.stringify(keySet);
      if (!held.some((set) => JSON.stringify(set) === text)) held.push(keySet);
      this.s.upsertEntry.run(destination, audience, profileId, JSON.stringify(held), now);
      this.bump(destination, audience, { added: 1 }, now);
    }
  }

  remember(destination: string, profileId: string, data: Record<string, string>): void {
    const before = this.memoryOf(destination, profileId);
    this.s.upsertMemory.run(destination, profileId, JSON.stringify({ ...before, ...data }));
  }

  /**
   * The merged profile's ledger entries and memory now belong to the survivor: the platform still
   * holds the merged person's keys, and a later remove must reach them too.
   */
  fold(destination: string, survivor: string, merged: string, now: number): void {
    const rows = this.s.entriesOfProfile.all(destination, merged) as { audience: string; key_sets: string }[];
    for (const row of rows) {
      const held = this.keySetsOf(destination, row.audience, survivor);
      for (const set of JSON.parse(row.key_sets) as KeySet[]) {
        if (!held.some((other) => JSON.stringify(other) === JSON.stringify(set))) held.push(set);
      }
      this.s.upsertEntry.run(destination, row.audience, survivor, JSON.stringify(held), now);
    }
    this.s.deleteProfileEntries.run(destination, merged);
    const memory = this.memoryOf(destination, merged);
    if (Object.keys(memory).length > 0) {
      // The survivor's own memory wins: it is the record the destination keeps for the person.
      this.s.upsertMemory.run(
        destination,
        survivor,
        JSON.stringify({ ...memory, ...this.memoryOf(destination, survivor) }),
      );
    }
    this.s.deleteMemory.run(destination, merged);
  }

  /** Counts what a logged request reported (invalid entries) against its audience. */
  recordReport(entry: DeliveryLogEntry): void {
    const invalid = entry.report?.invalidEntries ?? 0;
    if (entry.audience !== undefined && invalid > 0) {
      this.bump(entry.destination, entry.audience, { invalid }, entry.at);
    }
  }

  heldKeys(destination: string, profileIds: string[]): Map<string, Record<string, KeySet[]>> {
    const result = new Map<string, Record<string, KeySet[]>>();
    for (const profileId of new Set(profileIds)) {
      const rows = this.s.entriesOfProfile.all(destination, profileId) as {
        audience: string;
        key_sets: string;
      }[];
      if (rows.length === 0) continue;
      result.set(
        profileId,
        Object.fromEntries(rows.map((row) => [row.audience, JSON.parse(row.key_sets) as KeySet[]])),
      );
    }
    return result;
  }

  destinationMemory(destination: string, profileIds: string[]): Map<string, Record<string, string>> {
    const result = new Map<string, Record<string, string>>();
    for (const profileId of new Set(profileIds)) {
      const memory = this.memoryOf(destination, profileId);
      if (Object.keys(memory).length > 0) result.set(profileId, memory);
    }
    return result;
  }

  matchStats(destination: string | undefined): MatchStats[] {
    const rows = this.s.stats.all({ destination: destination ?? null }) as {
      destination: string;
      audience: string;
      held: number;
      added: number;
      removed: number;
      invalid_entries: number;
      updated_at: number | null;
    }[];
    return rows.map((row) => ({
      destination: row.destination,
      audience: row.audience,
      held: row.held,
      added: row.added,
      removed: row.removed,
      invalidEntries: row.invalid_entries,
      updatedAt: row.updated_at,
    }));
  }

  private bump(
    destination: string,
    audience: string,
    counts: { added?: number; removed?: number; invalid?: number },
    at: number,
  ): void {
    this.s.bump.run({
      destination,
      audience,
      added: counts.added ?? 0,
      removed: counts.removed ?? 0,
      invalid: counts.invalid ?? 0,
      at,
    });
  }

  private keySetsOf(destination: string, audience: string, profileId: string): KeySet[] {
    const row = this.s.entry.get(destination, audience, profileId) as { key_sets: string } | undefined;
    return row ? (JSON.parse(row.key_sets) as KeySet[]) : [];
  }

  private memoryOf(destination: string, profileId: string): Record<string, string> {
    const row = this.s.memory.get(destination, profileId) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as Record<string, string>) : {};
  }
}

function prepareStatements(db: Database) {
  return {
    entry: db.prepare(
      `SELECT key_sets FROM destination_ledger WHERE destination = ? AND audience = ? AND profile_id = ?`,
    ),
    entriesOfProfile: db.prepare(
      `SELECT audience, key_sets FROM destination_ledger WHERE destination = ? AND profile_id = ?`,
    ),
    upsertEntry: db.prepare(
      `INSERT INTO destination_ledger (destination, audience, profile_id, key_sets, added_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (destination, audience, profile_id) DO UPDATE SET key_sets = excluded.key_sets`,
    ),
    deleteEntry: db.prepare(
      `DELETE FROM destination_ledger WHERE destination = ? AND audience = ? AND profile_id = ?`,
    ),
    deleteProfileEntries: db.prepare(
      `DELETE FROM destination_ledger WHERE destination = ? AND profile_id = ?`,
    ),
    memory: db.prepare(`SELECT data FROM destination_memory WHERE destination = ? AND profile_id = ?`),
    upsertMemory: db.prepare(
      `INSERT INTO destination_memory (destination, profile_id, data) VALUES (?, ?, ?)
       ON CONFLICT (destination, profile_id) DO UPDATE SET data = excluded.data`,
    ),
    deleteMemory: db.prepare(`DELETE FROM destination_memory WHERE destination = ? AND profile_id = ?`),
    bump: db.prepare(
      `INSERT INTO destination_audience_stats (destination, audience, added, removed, invalid_entries, updated_at)
       VALUES (@destination, @audience, @added, @removed, @invalid, @at)
       ON CONFLICT (destination, audience) DO UPDATE SET added = added + @added,
         removed = removed + @removed, invalid_entries = invalid_entries + @invalid, updated_at = @at`,
    ),
    stats: db.prepare(
      `SELECT s.destination, s.audience, s.added, s.removed, s.invalid_entries, s.updated_at,
         (SELECT count(*) FROM destination_ledger l
           WHERE l.destination = s.destination AND l.audience = s.audience) AS held
       FROM destination_audience_stats s
       WHERE @destination IS NULL OR s.destination = @destination
       ORDER BY s.destination, s.audience`,
    ),
  };
}
