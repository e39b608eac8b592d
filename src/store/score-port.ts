import type { Histogram } from '../engine/scores/histogram.js';

/**
 * Score monitoring storage (docs/scores.md): one histogram per score series and day, with the drift
 * figure computed when it was taken. A series is a score or model trait (`p_convert`) or a model's
 * shadow (`p_convert.shadow`). Snapshots are history: a rebuild keeps them.
 */
export interface ScoreSnapshot {
  /** The series: a trait name, or `<model trait>.shadow`. */
  series: string;
  /** The UTC day it describes, `YYYY-MM-DD`. */
  day: string;
  /** When it was taken (epoch ms). */
  takenAt: number;
  histogram: Histogram;
  /** Profiles with a value (the histogram's total), and profiles without one. */
  scored: number;
  missing: number;
  /** The hash of the trait definition in force (a model trait's includes its file's content). */
  definition: string;
  /** The PSI against the reference snapshot; null when there was nothing to compare (`note` says why). */
  psi: number | null;
  referenceDay: string | null;
  note: string | null;
}

export interface ScoreStore {
  /** Stores snapshots, each replacing the one of its series and day. */
  saveScoreSnapshots(snapshots: readonly ScoreSnapshot[]): Promise<void>;
  /** The newest snapshot of every series ever taken. */
  latestScoreSnapshots(): Promise<ScoreSnapshot[]>;
  /** A series' snapshots, newest first, at most `limit`. */
  scoreHistory(series: string, limit: number): Promise<ScoreSnapshot[]>;
  /** The newest snapshot of a series with scores, on or before `day`. */
  scoreSnapshotOnOrBefore(series: string, day: string): Promise<ScoreSnapshot | undefined>;
  /** A series' oldest snapshot with scores, before `day`. */
  firstScoreSnapshot(series: string, beforeDay: string): Promise<ScoreSnapshot | undefined>;
}
