import type { MostFrequentTrait } from '../../mappings/traits-schema.js';
import { valueAtPath } from '../conditions/path.js';
import { scalarKey } from './scalar-key.js';
import { bucketedKind } from './windowed-kind.js';

/** `[start, { value: occurrences in the bucket }]` */
export type FrequencyBucket = [number, Record<string, number>];

interface Tally {
  count: number;
  /** Index of the newest bucket the value occurs in: ties go to the most recently seen value. */
  newest: number;
}

/**
 * The property value seen most often in the window (as text, see scalarKey); ties go to the value
 * seen most recently, then to the alphabetically first. Undefined when none.
 */
export const mostFrequentKind = bucketedKind<MostFrequentTrait, FrequencyBucket, string>({
  read: (def, event) => scalarKey(valueAtPath(event.body, def.property)),
  create: (start, value) => [start, { [value]: 1 }],
  add: (bucket, value) => {
    bucket[1][value] = (bucket[1][value] ?? 0) + 1;
  },
  combine: (into, from) => {
    for (const [value, count] of Object.entries(from[1])) into[1][value] = (into[1][value] ?? 0) + count;
  },
  summarize: (_def, buckets, from) => {
    const tallies = new Map<string, Tally>();
    for (let i = from; i < buckets.length; i++) {
      for (const [value, count] of Object.entries((buckets[i] as FrequencyBucket)[1])) {
        const tally = tallies.get(value);
        if (tally === undefined) tallies.set(value, { count, newest: i });
        else tallies.set(value, { count: tally.count + count, newest: i });
      }
    }
    return winnerOf(tallies);
  },
});

function winnerOf(tallies: Map<string, Tally>): string | undefined {
  let best: string | undefined;
  let bestTally: Tally | undefined;
  for (const [value, tally] of tallies) {
    if (bestTally === undefined || best === undefined || beats(value, tally, best, bestTally)) {
      best = value;
      bestTally = tally;
    }
  }
  return best;
}

function beats(value: string, tally: Tally, best: string, bestTally: Tally): boolean {
  if (tally.count !== bestTally.count) return tally.count > bestTally.count;
  if (tally.newest !== bestTally.newest) return tally.newest > bestTally.newest;
  return value < best;
}
