/**
 * The text a property value is counted under by most_frequent and distinct: strings as they are,
 * numbers and booleans as text (so 42 and "42" are one value); objects, arrays, null are skipped.
 */
export function scalarKey(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return String(value);
  return undefined;
}
