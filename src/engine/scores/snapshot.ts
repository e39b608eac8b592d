import type { RelayStore } from '../../store/port.js';
import type { ScoreSnapshot } from '../../store/score-port.js';
import type { ProcessingSetup } from '../processing/processor.js';
import { parseProfileState } from '../processing/profile-state.js';
import { binOf, emptyHistogram, type Histogram } from './histogram.js';
import { populationStabilityIndex } from './psi.js';
import { daysBefore, type ScoreSeries } from './series.js';

/**
 * One day's histograms (docs/scores.md): every profile's current values, read a page at a time
 * through the store and computed by the trait engine as the profile view computes them, each score
 * series counted in its fixed bins. Then each histogram's PSI against its reference day.
 */

const PAGE = 500;

export interface SeriesCount {
  histogram: Histogram;
  scored: number;
  missing: number;
  /** The definition the values come from (a shadow's includes the shadow file's hash). */
  definition: string;
}

export async function countScores(
  store: RelayStore,
  setup: ProcessingSetup,
  series: readonly ScoreSeries[],
  bins: number,
  now: number,
): Promise<Map<string, SeriesCount>> {
  const counts = new Map<string, SeriesCount>(
    series.map((entry) => [
      entry.series,
      {
        histogram: emptyHistogram({ min: entry.min, max: entry.max, bins }),
        scored: 0,
        missing: 0,
        definition: setup.traits.hashes[entry.trait] ?? '',
      },
    ]),
  );
  let first = true;
  for (let after = ''; ;) {
    const ids = await store.listProfileIds(after, PAGE);
    if (ids.length === 0) break;
    for (const profile of await store.loadProfiles(ids)) {
      const values = setup.traits.engine.values(parseProfileState(profile.state, setup.traits), now);
      for (const entry of series) {
        const count = counts.get(entry.series) as SeriesCount;
        if (first && entry.shadow) count.definition += `/${shadowHash(values, entry.trait)}`;
        const value = values[entry.series];
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          count.missing++;
          continue;
        }
        const bin = binOf(count.histogram, value);
        count.histogram.counts[bin] = (count.histogram.counts[bin] ?? 0) + 1;
        count.scored++;
      }
      first = false;
    }
    after = ids.at(-1) as string;
    // A daily job on the HTTP thread: intake requests are answered between pages.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return counts;
}

function shadowHash(values: Record<string, unknown>, trait: string): string {
  const record = values[`${trait}.model`] as { shadow?: { hash?: unknown } } | undefined;
  return typeof record?.shadow?.hash === 'string' ? record.shadow.hash : '';
}

/**
 * The day's snapshot of a series with its drift: the reference is the newest snapshot with scores
 * `referenceDays` days before `day` or earlier, else the series' first one (before `day`).
 */
export async function snapshotWithDrift(
  store: RelayStore,
  series: string,
  count: SeriesCount,
  day: string,
  referenceDays: number,
  takenAt: number,
): Promise<ScoreSnapshot> {
  const reference =
    (await store.scoreSnapshotOnOrBefore(series, daysBefore(day, referenceDays))) ??
    (await store.firstScoreSnapshot(series, day));
  const base = { series, day, takenAt, ...count };
  if (reference === undefined)
    return {
      ...base,
      psi: null,
      referenceDay: null,
      note: 'no earlier snapshot with scores to compare with',
    };
  const result = populationStabilityIndex(reference.histogram, count.histogram);
  return result.ok
    ? { ...base, psi: result.psi, referenceDay: reference.day, note: null }
    : { ...base, psi: null, referenceDay: reference.day, note: result.message };
}
