import type { ActiveDaysTrait } from '../../mappings/traits-schema.js';
import { matchesEvent } from '../conditions/match-event.js';
import type { TraitKind } from './types.js';
import { DAY_MS, isTooLate } from './window.js';

/** `{ days: [UTC day numbers (epoch ms / 1 day, floored) with a matching event] }`, ascending. */
export interface ActiveDaysState {
  days: number[];
}

/**
 * Distinct UTC calendar days with a matching event among the last ceil(window / 1d) days, today
 * included: `active_days_30d` is at most 30 and changes at midnight UTC.
 */
export const activeDaysKind: TraitKind<ActiveDaysTrait, ActiveDaysState> = {
  init: () => ({ days: [] }),
  apply(def, state, event, ctx) {
    if (!matchesEvent(def.match, event) || isTooLate(event, ctx)) return state;
    const oldestDay = oldestCountedDay(def, ctx.now);
    const day = Math.floor(event.eventTime / DAY_MS);
    if (day < oldestDay) return state;
    const live = firstCountedIndex(state.days, oldestDay);
    if (live > 0) state.days.splice(0, live);
    insertDay(state.days, day);
    return state;
  },
  merge(_def, a, b) {
    for (const day of b.days) insertDay(a.days, day);
    return a;
  },
  value(def, state, now) {
    return state.days.length - firstCountedIndex(state.days, oldestCountedDay(def, now));
  },
  nextChangeAt(def, state, now) {
    const oldest = state.days[firstCountedIndex(state.days, oldestCountedDay(def, now))];
    return oldest === undefined ? undefined : (oldest + windowDays(def)) * DAY_MS;
  },
};

function windowDays(def: ActiveDaysTrait): number {
  return Math.ceil(def.window / DAY_MS);
}

function oldestCountedDay(def: ActiveDaysTrait, now: number): number {
  return Math.floor(now / DAY_MS) - windowDays(def) + 1;
}

function firstCountedIndex(days: readonly number[], oldestDay: number): number {
  let index = 0;
  while (index < days.length && (days[index] as number) < oldestDay) index++;
  return index;
}

function insertDay(days: number[], day: number): void {
  let index = days.length;
  while (index > 0 && (days[index - 1] as number) > day) index--;
  if (days[index - 1] !== day) days.splice(index, 0, day);
}
