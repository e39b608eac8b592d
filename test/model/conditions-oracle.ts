/**
 * Conditions shared by the trait and audience oracles: dotted paths, numbers, the comparison
 * operators and event matchers of docs/traits.md "Matching events" (the same table in
 * docs/audiences.md "Trait comparisons"). Independent of src/engine.
 */
import { RE2JS } from 're2js';
import type { Comparison, EventMatcher } from '../../src/mappings/conditions-schema.js';
import type { OracleEvent } from './identity-oracle.js';

/** "Paths are dotted from the event root; only own keys are followed." */
export function valueAtPath(root: unknown, path: string): unknown {
  let current = root;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

/** A finite number, or a string that is one ("numbers or numeric strings"). */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

const patterns = new Map<string, RE2JS>();
/** RE2 (partial match with `find`); compiled once per pattern. */
function pattern(text: string): RE2JS {
  if (!patterns.has(text)) patterns.set(text, RE2JS.compile(text));
  return patterns.get(text) as RE2JS;
}

/** The operator table of docs/traits.md (shared with audience rules, docs/audiences.md). */
export function compare(value: unknown, comparison: Comparison): boolean {
  const expected = comparison.value;
  switch (comparison.op) {
    case 'eq':
      return value === expected;
    case 'ne':
      return value !== expected;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      let order: number;
      const [a, b] = [asNumber(value), asNumber(expected)];
      if (a !== undefined && b !== undefined) order = a - b;
      else if (typeof value === 'string' && typeof expected === 'string')
        order = value === expected ? 0 : value < expected ? -1 : 1;
      else return false;
      if (comparison.op === 'gt') return order > 0;
      if (comparison.op === 'gte') return order >= 0;
      if (comparison.op === 'lt') return order < 0;
      return order <= 0;
    }
    case 'in':
      return (expected as unknown[]).includes(value);
    case 'contains':
      if (typeof value === 'string') return typeof expected === 'string' && value.includes(expected);
      return Array.isArray(value) && value.includes(expected);
    case 'exists':
      return (value !== undefined && value !== null) === expected;
    case 'matches':
      if (typeof value !== 'string' && typeof value !== 'number') return false;
      return pattern(expected as string)
        .matcher(String(value))
        .find();
  }
}

/** `event: X` a track event named X (`*` any track); `type: page|screen` optionally `name`; every `where`. */
export function matchesEvent(matcher: EventMatcher, event: OracleEvent): boolean {
  if (event.type !== matcher.type) return false;
  if (matcher.type === 'track' && matcher.event !== '*' && event.body.event !== matcher.event) return false;
  if (matcher.type !== 'track' && matcher.name !== undefined && event.body.name !== matcher.name)
    return false;
  return matcher.where.every((test) => compare(valueAtPath(event.body, test.path), test.comparison));
}

/** A trait by name or dotted path among published values ("rfm.tier"; "lead_score.reasons" is its own key). */
export function traitAt(values: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(values, path)) return values[path];
  const dot = path.indexOf('.');
  return dot === -1 ? undefined : valueAtPath(traitAt(values, path.slice(0, dot)), path.slice(dot + 1));
}
