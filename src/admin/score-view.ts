import { z } from 'zod';
import { Histogram } from '../engine/scores/histogram.js';
import { driftVerdict, populationStabilityIndex } from '../engine/scores/psi.js';
import { scoreSeriesOf, type ScoreSeries } from '../engine/scores/series.js';
import { cutPointsFromHistogram, TierCutPoints } from '../engine/scores/tiers.js';
import type { RelayConfig } from '../mappings/schema.js';
import type { RelayStore } from '../store/port.js';
import type { ScoreSnapshot } from '../store/score-port.js';

/** Days of PSI history `GET /admin/api/scores/:trait` shows. */
const HISTORY_DAYS = 90;
const DAY_MS = 86_400_000;

/** A shadow model's histogram against its live model's, the same day. */
export const AgainstLive = z.object({ psi: z.number().nullable(), message: z.string() });

/** One score series' latest daily snapshot and its drift verdict (docs/scores.md). */
export const ScoreEntry = z.object({
  /** The trait, or `<model trait>.shadow`. */
  series: z.string(),
  trait: z.string(),
  kind: z.enum(['score', 'model']),
  shadow: z.boolean(),
  /** The UTC day of the latest snapshot; null before the first one. */
  day: z.string().nullable(),
  takenAt: z.string().nullable(),
  scored: z.number(),
  missing: z.number(),
  histogram: Histogram.nullable(),
  psi: z.number().nullable(),
  referenceDay: z.string().nullable(),
  threshold: z.number(),
  /** PSI over the threshold: `message` is the warning. */
  drifted: z.boolean(),
  message: z.string(),
  againstLive: AgainstLive.optional(),
});
export type ScoreEntry = z.infer<typeof ScoreEntry>;

/** `GET /admin/api/scores` (and the answer of `POST /admin/api/scores/snapshot`). */
export const ScoresOverview = z.object({
  threshold: z.number(),
  referenceDays: z.number(),
  bins: z.number(),
  tiers: z.number(),
  scores: z.array(ScoreEntry),
  /** The messages of the drifted series. */
  warnings: z.array(z.string()),
});
export type ScoresOverview = z.infer<typeof ScoresOverview>;

export const ScoreHistoryEntry = z.object({
  day: z.string(),
  takenAt: z.string(),
  scored: z.number(),
  psi: z.number().nullable(),
  referenceDay: z.string().nullable(),
  drifted: z.boolean(),
  note: z.string().nullable(),
});

/** `GET /admin/api/scores/:trait`: the latest snapshot, tier cut points from it, and the PSI history. */
export const ScoreDetail = ScoreEntry.extend({
  tierCutPoints: TierCutPoints.nullable(),
  /** Newest first, the last 90 days at most. */
  history: z.array(ScoreHistoryEntry),
});
export type ScoreDetail = z.infer<typeof ScoreDetail>;

export async function scoresOverview(store: RelayStore, config: RelayConfig): Promise<ScoresOverview> {
  const latest = new Map((await store.latestScoreSnapshots()).map((s) => [s.series, s]));
  const series = scoreSeriesOf(config.traits);
  const scores = series.map((entry) => scoreEntry(entry, latest, config));
  return {
    threshold: config.scores.psi_threshold,
    referenceDays: config.scores.reference / DAY_MS,
    bins: config.scores.bins,
    tiers: config.scores.tiers,
    scores,
    warnings: scores.filter((entry) => entry.drifted).map((entry) => entry.message),
  };
}

/** Undefined when no score series has this name. */
export async function scoreDetail(
  store: RelayStore,
  config: RelayConfig,
  name: string,
): Promise<ScoreDetail | undefined> {
  const series = scoreSeriesOf(config.traits);
  const entry = series.find((candidate) => candidate.series === name);
  if (!entry) return undefined;
  const history = await store.scoreHistory(name, HISTORY_DAYS);
  const latest = new Map(history.slice(0, 1).map((s) => [s.series, s]));
  if (entry.shadow) {
    const [live] = await store.scoreHistory(entry.trait, 1);
    if (live) latest.set(live.series, live);
  }
  const overview = scoreEntry(entry, latest, config);
  const threshold = config.scores.psi_threshold;
  return {
    ...overview,
    tierCutPoints: overview.histogram
      ? (cutPointsFromHistogram(overview.histogram, config.scores.tiers) ?? null)
      : null,
    history: history.map((snapshot) => ({
      day: snapshot.day,
      takenAt: iso(snapshot.takenAt),
      scored: snapshot.scored,
      psi: snapshot.psi,
      referenceDay: snapshot.referenceDay,
      drifted: driftVerdict(name, snapshot.psi, threshold).drifted,
      note: snapshot.note,
    })),
  };
}

function scoreEntry(entry: ScoreSeries, latest: Map<string, ScoreSnapshot>, config: RelayConfig): ScoreEntry {
  const threshold = config.scores.psi_threshold;
  const snapshot = latest.get(entry.series);
  const base = {
    series: entry.series,
    trait: entry.trait,
    kind: entry.kind,
    shadow: entry.shadow,
    threshold,
  };
  if (!snapshot)
    return {
      ...base,
      day: null,
      takenAt: null,
      scored: 0,
      missing: 0,
      histogram: null,
      psi: null,
      referenceDay: null,
      drifted: false,
      message: `${entry.series}: no snapshot yet (one is taken each UTC day)`,
    };
  const verdict = driftVerdict(entry.series, snapshot.psi, threshold, snapshot.note ?? '');
  const live = entry.shadow ? latest.get(entry.trait) : undefined;
  return {
    ...base,
    day: snapshot.day,
    takenAt: iso(snapshot.takenAt),
    scored: snapshot.scored,
    missing: snapshot.missing,
    histogram: snapshot.histogram,
    psi: snapshot.psi,
    referenceDay: snapshot.referenceDay,
    drifted: verdict.drifted,
    message: verdict.message,
    ...(live ? { againstLive: againstLive(entry, snapshot, live) } : {}),
  };
}

/** The shadow's histogram against the live model's of the same day (a PSI, never a warning). */
function againstLive(entry: ScoreSeries, shadow: ScoreSnapshot, live: ScoreSnapshot) {
  if (live.day !== shadow.day)
    return { psi: null, message: `${entry.series}: no snapshot of ${entry.trait} on ${shadow.day}` };
  const result = populationStabilityIndex(live.histogram, shadow.histogram);
  if (!result.ok)
    return { psi: null, message: `${entry.series} against ${entry.trait}: no PSI: ${result.message}` };
  return {
    psi: result.psi,
    message: `${entry.series} against ${entry.trait} (live) on ${shadow.day}: PSI ${result.psi.toFixed(4)}`,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** What the admin routes need of score monitoring (wired in src/relay.ts). */
export interface ScoresAdmin {
  overview(): Promise<ScoresOverview>;
  detail(series: string): Promise<ScoreDetail | undefined>;
  /** Takes today's snapshot now; refused (with the reason) while a rebuild or a trait backfill runs. */
  snapshot(): Promise<{ ok: true; overview: ScoresOverview } | { ok: false; reason: string }>;
}

export function scoresAdmin(
  monitor: { snapshotNow(): Promise<{ ok: true } | { ok: false; reason: string }> },
  store: RelayStore,
  config: () => RelayConfig,
): ScoresAdmin {
  return {
    overview: () => scoresOverview(store, config()),
    detail: (series) => scoreDetail(store, config(), series),
    snapshot: async () => {
      const outcome = await monitor.snapshotNow();
      return outcome.ok ? { ok: true, overview: await scoresOverview(store, config()) } : outcome;
    },
  };
}
