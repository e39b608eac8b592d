import { RE2JS } from 're2js';
import type { Comparison, Scalar } from '../../mappings/conditions-schema.js';
import { assertNever } from '../../lib/assert-never.js';

/**
 * The comparison operators of traits and audience rules, over one value:
 * - eq / ne: strict equality of JSON scalars, no coercion ("3" is not 3); a missing value is `ne`
 *   to everything.
 * - gt / gte / lt / lte: numerically when both sides are numbers or numeric strings, else by code
 *   points when both are strings (ISO-8601 dates compare in time order); otherwise false.
 * - in: the value equals one of the listed scalars.
 * - contains: a substring of a string value, or an element of an array value.
 * - exists: the value is present and not null (`exists: false` is the opposite).
 * - matches: RE2 partial match (`find`) on a string or number value; `(?i)` for case-insensitive.
 */
export function compare(value: unknown, comparison: Comparison): boolean {
  switch (comparison.op) {
    case 'eq':
      return value === comparison.value;
    case 'ne':
      return value !== comparison.value;
    case 'gt':
      return order(value, comparison.value) > 0;
    case 'gte':
      return order(value, comparison.value) >= 0;
    case 'lt':
      return order(value, comparison.value) < 0;
    case 'lte':
      return order(value, comparison.value) <= 0;
    case 'in':
      return comparison.value.includes(value as Scalar);
    case 'contains':
      return contains(value, comparison.value);
    case 'exists':
      return (value !== undefined && value !== null) === comparison.value;
    case 'matches':
      return matches(value, comparison.value);
    default:
      return assertNever(comparison, 'comparison operator');
  }
}

/** Positive, zero or negative like a sort comparator; NaN (every test false) when they cannot be ordered. */
function order(value: unknown, expected: number | string): number {
  const left = asNumber(value);
  const right = asNumber(expected);
  if (left !== undefined && right !== undefined) return left - right;
  if (typeof value === 'string' && typeof expected === 'string') {
    if (value === expected) return 0;
    return value < expected ? -1 : 1;
  }
  return Number.NaN;
}

/** A finite number, or a string that is one ("29.99"); undefined otherwise. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function contains(value: unknown, expected: Scalar): boolean {
  if (typeof value === 'string') return typeof expected === 'string' && value.includes(expected);
  if (Array.isArray(value)) return value.includes(expected);
  return false;
}

const compiledPatterns = new Map<string, RE2JS>();

/** Patterns come from definitions (validated at load), so each is compiled once and kept. */
function compiled(pattern: string): RE2JS {
  let regex = compiledPatterns.get(pattern);
  if (regex === undefined) {
    regex = RE2JS.compile(pattern);
    compiledPatterns.set(pattern, regex);
  }
  return regex;
}

function matches(value: unknown, pattern: string): boolean {
  if (typeof value === 'number') return compiled(pattern).test(String(value));
  if (typeof value !== 'string') return false;
  return compiled(pattern).test(value);
}
