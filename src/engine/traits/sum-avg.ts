import type { AvgTrait, SumTrait } from '../../mappings/traits-schema.js';
import { asNumber } from '../conditions/compare.js';
import { valueAtPath } from '../conditions/path.js';
import type { EngineEvent } from './types.js';
import { bucketedKind, roundDecimals } from './windowed-kind.js';

/** `[start, events with a numeric property, sum of the property]` */
export type SumBucket = [number, number, number];

interface Totals {
  count: number;
  sum: number;
}

function totalsOf(buckets: readonly SumBucket[], from: number): Totals {
  let count = 0;
  let sum = 0;
  for (let i = from; i < buckets.length; i++) {
    const bucket = buckets[i] as SumBucket;
    count += bucket[1];
    sum += bucket[2];
  }
  return { count, sum };
}

function sumBuckets<D extends SumTrait | AvgTrait>(summarize: (totals: Totals) => number | undefined) {
  return bucketedKind<D, SumBucket, number>({
    read: (def: D, event: EngineEvent) => asNumber(valueAtPath(event.body, def.property)),
    create: (start, amount) => [start, 1, amount],
    add: (bucket, amount) => {
      bucket[1] += 1;
      bucket[2] += amount;
    },
    combine: (into, from) => {
      into[1] += from[1];
      into[2] += from[2];
    },
    summarize: (_def, buckets, from) => summarize(totalsOf(buckets, from)),
  });
}

/** Sum of a numeric property (numbers or numeric strings) in the window; 0 when none. */
export const sumKind = sumBuckets<SumTrait>((totals) => roundDecimals(totals.sum));

/** Mean of a numeric property in the window; undefined when no event has one. */
export const avgKind = sumBuckets<AvgTrait>((totals) =>
  totals.count === 0 ? undefined : roundDecimals(totals.sum / totals.count),
);
