import { valueAtPath } from '../conditions/path.js';

/**
 * A trait value by name or path: the exact key first (`lead_score.reasons` is a key of its own), then
 * a dotted walk from the first segment (`rfm.tier`, `address.city`).
 */
export function traitAt(values: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(values, path)) return values[path];
  const dot = path.indexOf('.');
  if (dot === -1) return undefined;
  return valueAtPath(traitAt(values, path.slice(0, dot)), path.slice(dot + 1));
}
