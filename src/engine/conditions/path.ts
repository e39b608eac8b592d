/**
 * Dotted property paths (`context.page.path`, `properties.products.0.id`) read from the event root.
 * Paths come from a small, fixed set of definitions, so their split is cached.
 */
const segmentsByPath = new Map<string, readonly string[]>();

export function pathSegments(path: string): readonly string[] {
  let segments = segmentsByPath.get(path);
  if (segments === undefined) {
    segments = path.split('.');
    segmentsByPath.set(path, segments);
  }
  return segments;
}

/** The value at a dotted path, or undefined when any step is missing or not an object. */
export function valueAtPath(root: unknown, path: string): unknown {
  let current = root;
  for (const segment of pathSegments(path)) {
    // Own keys only: `constructor` or `__proto__` in a path must not reach the prototype.
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
