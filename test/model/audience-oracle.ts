/**
 * Audience oracle: docs/audiences.md "Conditions", evaluated from scratch over a person's published
 * trait values (trait-oracle.ts) and ALL of the person's events. `performed` scans the events, so it
 * is exact by construction ("A timestamp counts while now − W < t"). Independent of src/engine.
 */
import type { AudienceCondition, AudienceDefinition } from '../../src/mappings/audiences-schema.js';
import type { OracleEvent } from './identity-oracle.js';
import { asNumber, compare, matchesEvent, traitAt } from './conditions-oracle.js';

/** "Date traits are epoch milliseconds or ISO-8601 strings"; anything else is not a date. */
function asDate(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Great-circle distance (haversine), km, on a sphere of radius 6371 km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(a));
}

interface Person {
  values: Record<string, unknown>;
  events: OracleEvent[];
}

function holds(
  condition: AudienceCondition,
  person: Person,
  now: number,
  member: (audience: string) => boolean,
): boolean {
  switch (condition.kind) {
    case 'all':
      return condition.conditions.every((c) => holds(c, person, now, member));
    case 'any':
      return condition.conditions.some((c) => holds(c, person, now, member));
    case 'not':
      return !holds(condition.condition, person, now, member);
    case 'performed': {
      // "N or more matching events have an event time in the last W" (late events too: exact timestamps)
      let n = 0;
      for (const e of person.events) {
        if (matchesEvent(condition.match, e) && now - condition.within.ms < e.eventTime && e.eventTime <= now)
          n++;
      }
      if (condition.bound === 'at_least') return n >= condition.times;
      if (condition.bound === 'at_most') return n <= condition.times;
      return n === condition.times;
    }
    case 'trait':
      return compare(traitAt(person.values, condition.trait), condition.comparison);
    case 'date': {
      const date = asDate(traitAt(person.values, condition.trait));
      if (date === undefined) return false;
      const w = condition.within.ms;
      // within_next: from date − W (inclusive) until date (exclusive); within_last: date until date + W
      return condition.direction === 'next' ? date - w <= now && now < date : date <= now && now < date + w;
    }
    case 'near': {
      const lat = asNumber(traitAt(person.values, condition.latTrait));
      const lon = asNumber(traitAt(person.values, condition.lonTrait));
      if (lat === undefined || lon === undefined) return false;
      if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return false; // out of range never holds
      return haversineKm(lat, lon, condition.lat, condition.lon) <= condition.radiusKm;
    }
    case 'audience':
      return member(condition.audience);
  }
}

/** The names of the audiences the person is a member of at `now`. */
export function memberships(
  audiences: Record<string, AudienceDefinition>,
  values: Record<string, unknown>,
  events: OracleEvent[],
  now: number,
): Set<string> {
  const person = { values, events };
  const results = new Map<string, boolean>();
  // References are acyclic (refused at load), so plain recursion with a memo terminates.
  const member = (name: string): boolean => {
    let result = results.get(name);
    if (result === undefined) {
      const definition = audiences[name];
      if (!definition) throw new Error(`unknown audience ${name}`);
      result = holds(definition.rule, person, now, member);
      results.set(name, result);
    }
    return result;
  };
  return new Set(Object.keys(audiences).filter(member));
}
