/**
 * A simple delta-debugging shrinker for a failing stream: first drop whole people, then single events,
 * in chunks that halve when no chunk can go, keeping any smaller stream that still fails. Every try
 * re-runs the oracle and a fresh relay, so the budget is in wall-clock time.
 */
import type { StreamItem } from './stream.js';

export interface ShrinkResult {
  items: StreamItem[];
  tries: number;
  timedOut: boolean;
}

/** The items of `units`, in the arrival order of `all`. */
function inArrivalOrder(all: StreamItem[], units: StreamItem[][]): StreamItem[] {
  const kept = new Set(units.flat());
  return all.filter((item) => kept.has(item));
}

/** Removes chunks of `units` (each unit a list of items) while `fails` still holds. */
async function shrinkUnits(
  all: StreamItem[],
  units: StreamItem[][],
  fails: (items: StreamItem[]) => Promise<boolean>,
  deadline: number,
  counter: { tries: number },
): Promise<{ units: StreamItem[][]; timedOut: boolean }> {
  let current = units;
  let chunk = Math.ceil(current.length / 2);
  while (chunk >= 1 && current.length > 1) {
    let removedAny = false;
    for (let start = 0; start < current.length && current.length > 1;) {
      if (Date.now() > deadline) return { units: current, timedOut: true };
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      counter.tries++;
      if (candidate.length > 0 && (await fails(inArrivalOrder(all, candidate)))) {
        current = candidate;
        removedAny = true;
      } else {
        start += chunk;
      }
    }
    if (!removedAny) chunk = Math.floor(chunk / 2);
    else chunk = Math.min(chunk, Math.ceil(current.length / 2));
  }
  return { units: current, timedOut: false };
}

/** Shrinks by people, then by events; stops at `budgetMs` with the smallest failing stream so far. */
export async function shrinkStream(
  items: StreamItem[],
  fails: (items: StreamItem[]) => Promise<boolean>,
  budgetMs: number,
): Promise<ShrinkResult> {
  const deadline = Date.now() + budgetMs;
  const counter = { tries: 0 };
  const people = [...new Set(items.map((item) => item.person))];
  const byPerson = people.map((person) => items.filter((item) => item.person === person));
  const first = await shrinkUnits(items, byPerson, fails, deadline, counter);
  const remaining = inArrivalOrder(items, first.units);
  if (first.timedOut) return { items: remaining, tries: counter.tries, timedOut: true };
  const singles = remaining.map((item) => [item]);
  const second = await shrinkUnits(remaining, singles, fails, deadline, counter);
  return { items: inArrivalOrder(remaining, second.units), tries: counter.tries, timedOut: second.timedOut };
}
