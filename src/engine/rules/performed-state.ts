import { matchesEvent } from '../conditions/match-event.js';
import type { EngineEvent } from '../traits/types.js';
import type { CompiledAudiences } from './compile.js';

/**
 * A profile's state for `performed` conditions, stored next to its trait state: per performed spec
 * key, the event times (epoch ms) of the newest matching events still in the window, ascending, at most
 * `keep` of them. Plain JSON. Like the trait engine, the functions here CHANGE the state they are given
 * and return it.
 *
 * Exactness: a condition "N or more times within W" keeps the newest N timestamps, so it holds and stops
 * holding at the exact millisecond (no buckets). Every matching event counts by event time, however
 * late, as long as it is still inside the window when processed.
 */
export type PerformedState = Record<string, number[]>;

/** Every key present (a key that is absent means "not built for this configuration": see `alignPerformed`). */
export function emptyPerformed(compiled: CompiledAudiences): PerformedState {
  const state: PerformedState = {};
  for (const spec of compiled.performed) state[spec.key] = [];
  return state;
}

/**
 * Takes one event at processing time `now`: adds its event time to every spec it matches (unless it
 * is already outside the window), keeps the newest `keep`, and drops timestamps that left their window.
 */
export function applyEventToPerformed(
  compiled: CompiledAudiences,
  state: PerformedState,
  event: EngineEvent,
  now: number,
): PerformedState {
  for (const spec of compiled.performed) {
    let times = state[spec.key];
    if (times === undefined) state[spec.key] = times = [];
    const cutoff = now - spec.windowMs;
    dropUpTo(times, cutoff);
    if (spec.keep === 0 || event.eventTime <= cutoff || !matchesEvent(spec.match, event)) continue;
    insertSorted(times, event.eventTime);
    if (times.length > spec.keep) times.splice(0, times.length - spec.keep);
  }
  return state;
}

/** Both profiles as if every event had belonged to one person: returns `a`, changed. */
export function mergePerformed(
  compiled: CompiledAudiences,
  a: PerformedState,
  b: PerformedState,
): PerformedState {
  for (const spec of compiled.performed) {
    const left = a[spec.key] ?? [];
    const right = b[spec.key] ?? [];
    const merged = right.length === 0 ? left : mergeSorted(left, right);
    if (merged.length > spec.keep) merged.splice(0, merged.length - spec.keep);
    a[spec.key] = merged;
  }
  return a;
}

/**
 * The state built from stored events (any order) as it is at `now`: the same as applying them live.
 * With `keys`, only those specs are built (the ones `alignPerformed` reported missing).
 */
export function rebuildPerformed(
  compiled: CompiledAudiences,
  events: Iterable<EngineEvent>,
  now: number,
  keys?: readonly string[],
): PerformedState {
  const only =
    keys === undefined
      ? compiled
      : { ...compiled, performed: compiled.performed.filter((spec) => keys.includes(spec.key)) };
  let state = emptyPerformed(only);
  for (const event of events) state = applyEventToPerformed(only, state, event, now);
  return state;
}

/**
 * Fits a stored state to the configuration: drops keys no spec uses any more, adds missing keys as
 * empty and returns them in `missing`: those specs are new or changed and must be rebuilt from
 * stored events (`rebuildPerformed(compiled, events, now, missing)`, then copy the keys over).
 */
export function alignPerformed(
  compiled: CompiledAudiences,
  state: PerformedState,
): { state: PerformedState; missing: string[] } {
  const missing: string[] = [];
  const known = new Set<string>();
  for (const spec of compiled.performed) {
    known.add(spec.key);
    if (!Array.isArray(state[spec.key])) {
      state[spec.key] = [];
      missing.push(spec.key);
    }
  }
  for (const key of Object.keys(state)) if (!known.has(key)) delete state[key];
  return { state, missing };
}

/** Drops every timestamp that has left its window at `now` (optional tidying before storing). */
export function prunePerformed(
  compiled: CompiledAudiences,
  state: PerformedState,
  now: number,
): PerformedState {
  for (const spec of compiled.performed) {
    const times = state[spec.key];
    if (times !== undefined) dropUpTo(times, now - spec.windowMs);
  }
  return state;
}

function dropUpTo(times: number[], cutoff: number): void {
  let expired = 0;
  while (expired < times.length && (times[expired] as number) <= cutoff) expired++;
  if (expired > 0) times.splice(0, expired);
}

/** Events mostly arrive in order, so the slot is searched from the newest end. */
function insertSorted(times: number[], time: number): void {
  let index = times.length;
  while (index > 0 && (times[index - 1] as number) > time) index--;
  if (index === times.length) times.push(time);
  else times.splice(index, 0, time);
}

function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const left = a[i];
    const right = b[j];
    if (right === undefined || (left !== undefined && left <= right)) {
      merged.push(left as number);
      i++;
    } else {
      merged.push(right);
      j++;
    }
  }
  return merged;
}
