import type { SinceTrait, SinceUnit } from '../../mappings/traits-schema.js';
import { matchesEvent } from '../conditions/match-event.js';
import { assertNever } from '../../lib/assert-never.js';
import type { TraitKind } from './types.js';

/** Event time of the latest matching event, or null before any. */
export type SinceState = number | null;

export function unitMs(unit: SinceUnit): number {
  switch (unit) {
    case 'seconds':
      return 1_000;
    case 'minutes':
      return 60_000;
    case 'hours':
      return 3_600_000;
    case 'days':
      return 86_400_000;
    case 'weeks':
      return 604_800_000;
    default:
      return assertNever(unit, 'since unit');
  }
}

/**
 * Whole units elapsed since the latest matching event (by event time, lateness does not apply):
 * floor((now - at) / unit), never negative; undefined before any. Changes with time alone.
 */
export const sinceKind: TraitKind<SinceTrait, SinceState> = {
  init: () => null,
  apply(def, state, event) {
    if (!matchesEvent(def.match, event)) return state;
    return state === null || event.eventTime > state ? event.eventTime : state;
  },
  merge: (_def, a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
  value(def, state, now) {
    if (state === null) return undefined;
    return Math.floor(Math.max(0, now - state) / unitMs(def.unit));
  },
  nextChangeAt(def, state, now) {
    if (state === null) return undefined;
    const unit = unitMs(def.unit);
    return state + (Math.floor(Math.max(0, now - state) / unit) + 1) * unit;
  },
};
