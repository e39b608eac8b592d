import { redactIdentifiers } from '../delivery/match-keys.js';

/**
 * What the fakes' one-line request descriptions (`FakeDefinition.describe`) share. No express here:
 * the registry loads every description, the fake servers are loaded only when started.
 */

/** Longest value shown; the rest is cut with `…`. */
const MAX_VALUE_LENGTH = 40;

/** `3 attributes`, `1 input`. */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The first `max`, then how many more: `a, b, c, +2 more`. */
export function firstFew(items: string[], max = 3): string {
  const more = items.length > max ? `, +${items.length - max} more` : '';
  return `${items.slice(0, max).join(', ')}${more}`;
}

export function distinct(items: string[]): string[] {
  return [...new Set(items)];
}

/** A value on one line: text bare, the rest as JSON, e-mails and phone numbers redacted, cut short. */
export function shownValue(value: unknown): string {
  const text = redactIdentifiers(typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null'));
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

/** `name: value` for each field not in `skip` (identifiers, shown elsewhere). */
export function namedValues(
  fields: Record<string, unknown>,
  skip: ReadonlySet<string> = new Set(),
): string[] {
  return Object.entries(fields)
    .filter(([name]) => !skip.has(name))
    .map(([name, value]) => `${name}: ${shownValue(value)}`);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
