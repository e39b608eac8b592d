import type { MaxTrait, MinTrait } from '../../mappings/traits-schema.js';
import { asNumber } from '../conditions/compare.js';
import { valueAtPath } from '../conditions/path.js';
import type { EngineEvent } from './types.js';
import { bucketedKind } from './windowed-kind.js';

/** `[start, smallest (min) or largest (max) value in the bucket]` */
export type ExtremeBucket = [number, number];

function extremeBuckets<D extends MinTrait | MaxTrait>(pick: (a: number, b: number) => number) {
  return bucketedKind<D, ExtremeBucket, number>({
    read: (def: D, event: EngineEvent) => asNumber(valueAtPath(event.body, def.property)),
    create: (start, amount) => [start, amount],
    add: (bucket, amount) => {
      bucket[1] = pick(bucket[1], amount);
    },
    combine: (into, from) => {
      into[1] = pick(into[1], from[1]);
    },
    summarize: (_def, buckets, from) => {
      let result: number | undefined;
      for (let i = from; i < buckets.length; i++) {
        const value = (buckets[i] as ExtremeBucket)[1];
        result = result === undefined ? value : pick(result, value);
      }
      return result;
    },
  });
}

/** Smallest numeric property value in the window; undefined when none. */
export const minKind = extremeBuckets<MinTrait>(Math.min);

/** Largest numeric property value in the window; undefined when none. */
export const maxKind = extremeBuckets<MaxTrait>(Math.max);
