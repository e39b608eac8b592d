import type { CountTrait } from '../../mappings/traits-schema.js';
import { bucketedKind } from './windowed-kind.js';

/** `[start, events]` */
export type CountBucket = [number, number];

/** Matching events in the window; 0 when none. */
export const countKind = bucketedKind<CountTrait, CountBucket, true>({
  read: () => true,
  create: (start) => [start, 1],
  add: (bucket) => {
    bucket[1] += 1;
  },
  combine: (into, from) => {
    into[1] += from[1];
  },
  summarize: (_def, buckets, from) => {
    let total = 0;
    for (let i = from; i < buckets.length; i++) total += (buckets[i] as CountBucket)[1];
    return total;
  },
});
