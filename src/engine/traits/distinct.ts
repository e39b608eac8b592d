import type { DistinctTrait } from '../../mappings/traits-schema.js';
import { matchesEvent } from '../conditions/match-event.js';
import { valueAtPath } from '../conditions/path.js';
import { scalarKey } from './scalar-key.js';
import type { TraitKind } from './types.js';
import { isTooLate } from './window.js';

/**
 * `{ seen: { value: last event time it was seen } }`, at most `limit` entries. Exact to the
 * millisecond (no buckets): a value leaves `window` after it was last seen. Keeping only the `limit`
 * most recently seen values is exact too: an evicted value was seen before every kept one, so it
 * would leave the window first.
 */
export interface DistinctState {
  seen: Record<string, number>;
}

/** The distinct values seen in the window, sorted alphabetically so the list changes only with the set. */
export const distinctKind: TraitKind<DistinctTrait, DistinctState> = {
  init: () => ({ seen: {} }),
  apply(def, state, event, ctx) {
    if (!matchesEvent(def.match, event) || isTooLate(event, ctx)) return state;
    if (event.eventTime <= ctx.now - def.window) return state;
    const value = scalarKey(valueAtPath(event.body, def.property));
    if (value === undefined) return state;
    const previous = state.seen[value];
    if (previous !== undefined) {
      if (event.eventTime > previous) state.seen[value] = event.eventTime;
      return state;
    }
    // Only a new value can grow the state: drop expired values, then the oldest beyond the cap.
    state.seen[value] = event.eventTime;
    dropExpired(state, ctx.now - def.window);
    if (Object.keys(state.seen).length > def.limit) delete state.seen[leastRecent(state)];
    return state;
  },
  merge(def, a, b) {
    for (const [value, at] of Object.entries(b.seen)) {
      const previous = a.seen[value];
      if (previous === undefined || at > previous) a.seen[value] = at;
    }
    keepMostRecent(a, def.limit);
    return a;
  },
  value(def, state, now) {
    const cutoff = now - def.window;
    return Object.keys(state.seen)
      .filter((value) => (state.seen[value] as number) > cutoff)
      .sort();
  },
  nextChangeAt(def, state, now) {
    let next: number | undefined;
    for (const at of Object.values(state.seen)) {
      const leaves = at + def.window;
      if (leaves > now && (next === undefined || leaves < next)) next = leaves;
    }
    return next;
  },
};

function dropExpired(state: DistinctState, cutoff: number): void {
  for (const [value, at] of Object.entries(state.seen)) if (at <= cutoff) delete state.seen[value];
}

/** The value seen longest ago; on equal times the one `keepMostRecent` would drop (alphabetically last). */
function leastRecent(state: DistinctState): string {
  let oldest = '';
  let oldestAt = Infinity;
  for (const [value, at] of Object.entries(state.seen)) {
    if (at < oldestAt || (at === oldestAt && value > oldest)) {
      oldest = value;
      oldestAt = at;
    }
  }
  return oldest;
}

function keepMostRecent(state: DistinctState, limit: number): void {
  const entries = Object.entries(state.seen);
  if (entries.length <= limit) return;
  entries.sort(([valueA, atA], [valueB, atB]) => atB - atA || (valueA < valueB ? -1 : 1));
  state.seen = Object.fromEntries(entries.slice(0, limit));
}
