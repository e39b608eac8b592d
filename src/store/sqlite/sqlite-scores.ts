import type { Database } from 'better-sqlite3';
import { Histogram } from '../../engine/scores/histogram.js';
import type { ScoreSnapshot } from '../score-port.js';

interface SnapshotRow {
  series: string;
  day: string;
  taken_at: number;
  histogram: string;
  scored: number;
  missing: number;
  definition: string;
  psi: number | null;
  reference_day: string | null;
  note: string | null;
}

/** The score monitoring part of the SQLite backend: daily histograms per score series. */
export class SqliteScores {
  private readonly s: ReturnType<typeof prepareStatements>;

  constructor(private readonly db: Database) {
    this.s = prepareStatements(db);
  }

  saveSnapshots(snapshots: readonly ScoreSnapshot[]): void {
    this.db.transaction(() => {
      for (const snapshot of snapshots)
        this.s.upsert.run(
          snapshot.series,
          snapshot.day,
          snapshot.takenAt,
          JSON.stringify(snapshot.histogram),
          snapshot.scored,
          snapshot.missing,
          snapshot.definition,
          snapshot.psi,
          snapshot.referenceDay,
          snapshot.note,
        );
    })();
  }

  latest(): ScoreSnapshot[] {
    return (this.s.latest.all() as SnapshotRow[]).map(toSnapshot);
  }

  history(series: string, limit: number): ScoreSnapshot[] {
    return (this.s.history.all(series, Math.max(1, limit)) as SnapshotRow[]).map(toSnapshot);
  }

  onOrBefore(series: string, day: string): ScoreSnapshot | undefined {
    const row = this.s.onOrBefore.get(series, day) as SnapshotRow | undefined;
    return row && toSnapshot(row);
  }

  first(series: string, beforeDay: string): ScoreSnapshot | undefined {
    const row = this.s.first.get(series, beforeDay) as SnapshotRow | undefined;
    return row && toSnapshot(row);
  }
}

function prepareStatements(db: Database) {
  return {
    upsert: db.prepare(
      `INSERT INTO score_snapshots
         (series, day, taken_at, histogram, scored, missing, definition, psi, reference_day, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (series, day) DO UPDATE SET
         taken_at = excluded.taken_at, histogram = excluded.histogram, scored = excluded.scored,
         missing = excluded.missing, definition = excluded.definition, psi = excluded.psi,
         reference_day = excluded.reference_day, note = excluded.note`,
    ),
    latest: db.prepare(
      `SELECT s.* FROM score_snapshots s
        WHERE s.day = (SELECT max(day) FROM score_snapshots l WHERE l.series = s.series)
        ORDER BY s.series`,
    ),
    history: db.prepare(`SELECT * FROM score_snapshots WHERE series = ? ORDER BY day DESC LIMIT ?`),
    onOrBefore: db.prepare(
      `SELECT * FROM score_snapshots WHERE series = ? AND day <= ? AND scored > 0
        ORDER BY day DESC LIMIT 1`,
    ),
    first: db.prepare(
      `SELECT * FROM score_snapshots WHERE series = ? AND day < ? AND scored > 0 ORDER BY day ASC LIMIT 1`,
    ),
  };
}

/** Rows are read back through the histogram's schema: the store is an edge. */
function toSnapshot(row: SnapshotRow): ScoreSnapshot {
  return {
    series: row.series,
    day: row.day,
    takenAt: row.taken_at,
    histogram: Histogram.parse(JSON.parse(row.histogram)),
    scored: row.scored,
    missing: row.missing,
    definition: row.definition,
    psi: row.psi,
    referenceDay: row.reference_day,
    note: row.note,
  };
}
