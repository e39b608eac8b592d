import type { FirstTrait, LastTrait } from '../../mappings/traits-schema.js';
import { matchesEvent } from '../conditions/match-event.js';
import { valueAtPath } from '../conditions/path.js';
import type { EngineEvent, TraitKind } from './types.js';

/** `{ value, at: event time }` of the chosen event, or null before any. */
export type FirstLastState = { value: unknown; at: number } | null;

type Prefer = (candidate: number, current: number) => boolean;

/**
 * The property of the earliest (first) or latest (last) matching event by EVENT time, not arrival.
 * Not windowed, so events older than the allowed lateness still count. Events without the property
 * (missing or null) are skipped. On equal event times, first keeps the earlier arrival, last the later.
 */
function byEventTime<D extends FirstTrait | LastTrait>(prefer: Prefer): TraitKind<D, FirstLastState> {
  return {
    init: () => null,
    apply(def: D, state: FirstLastState, event: EngineEvent) {
      if (!matchesEvent(def.match, event)) return state;
      if (state !== null && !prefer(event.eventTime, state.at)) return state;
      const value = valueAtPath(event.body, def.property);
      if (value === undefined || value === null) return state;
      return { value, at: event.eventTime };
    },
    merge(_def: D, a: FirstLastState, b: FirstLastState) {
      if (a === null) return b;
      if (b === null) return a;
      return b.at !== a.at && prefer(b.at, a.at) ? b : a;
    },
    value: (_def: D, state: FirstLastState) => state?.value,
    nextChangeAt: () => undefined,
  };
}

export const firstKind = byEventTime<FirstTrait>((candidate, current) => candidate < current);
export const lastKind = byEventTime<LastTrait>((candidate, current) => candidate >= current);
