/**
 * Limits on the shape of parsed JSON, checked without recursion (so a body nested 100,000 deep is
 * a clear 400, never a stack overflow in a later step that walks it recursively).
 */

export interface JsonLimits {
  /** Levels of objects and arrays, the scanned value itself being level 1. */
  maxDepth: number;
  /** Object keys in all, at every level. */
  maxKeys: number;
  /** Characters in one string value. */
  maxStringLength: number;
  /** Characters in one object key. */
  maxKeyLength: number;
}

export interface JsonLimitIssue {
  /** Where, as `prefix.a.b[2]`; long keys are shortened, long paths cut with `…`. */
  path: string;
  message: string;
  /** Which limit was exceeded (for metrics and logs). */
  limit: 'depth' | 'keys' | 'string_length' | 'key_length' | 'number';
}

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | undefined;
  key: string | number | undefined;
}

const MAX_ISSUES = 5;
const MAX_PATH_SEGMENTS = 12;
const MAX_SHOWN_KEY = 40;

/**
 * The first few places `value` exceeds `limits`, or [] when it is within them. `prefix` names the
 * scanned value in paths (`batch[3]`, or '' for the body itself).
 */
export function checkJsonLimits(value: unknown, limits: JsonLimits, prefix = ''): JsonLimitIssue[] {
  const issues: JsonLimitIssue[] = [];
  let keys = 0;
  let keysReported = false;
  const stack: Frame[] = [{ value, depth: 1, parent: undefined, key: undefined }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const frame = stack.pop() as Frame;
    const current = frame.value;
    if (typeof current === 'string') {
      if (current.length > limits.maxStringLength) {
        issues.push({
          path: pathOf(frame, prefix),
          message: `string of ${current.length} characters; at most ${limits.maxStringLength} per string`,
          limit: 'string_length',
        });
      }
      continue;
    }
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) {
        issues.push({
          path: pathOf(frame, prefix),
          message: 'number out of range (beyond what a 64-bit float holds)',
          limit: 'number',
        });
      }
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (frame.depth > limits.maxDepth) {
      issues.push({
        path: pathOf(frame, prefix),
        message: `nested deeper than ${limits.maxDepth} levels (the limit)`,
        limit: 'depth',
      });
      continue;
    }
    if (Array.isArray(current)) {
      for (let index = current.length - 1; index >= 0; index--) {
        stack.push({ value: current[index], depth: frame.depth + 1, parent: frame, key: index });
      }
      continue;
    }
    const entries = Object.keys(current);
    keys += entries.length;
    if (keys > limits.maxKeys && !keysReported) {
      keysReported = true;
      issues.push({
        path: prefix || 'body',
        message: `more than ${limits.maxKeys} object keys in all (the limit)`,
        limit: 'keys',
      });
    }
    for (let index = entries.length - 1; index >= 0; index--) {
      const key = entries[index] as string;
      if (key.length > limits.maxKeyLength) {
        issues.push({
          path: pathOf({ value: undefined, depth: frame.depth + 1, parent: frame, key }, prefix),
          message: `key of ${key.length} characters; at most ${limits.maxKeyLength} per key`,
          limit: 'key_length',
        });
        continue;
      }
      stack.push({
        value: (current as Record<string, unknown>)[key],
        depth: frame.depth + 1,
        parent: frame,
        key,
      });
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/** True when `value` nests deeper than `maxDepth` levels (the value itself is level 1). */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop() as { value: unknown; depth: number };
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

function pathOf(frame: Frame, prefix: string): string {
  const segments: (string | number)[] = [];
  for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) segments.push(at.key);
  return formatPath(prefix, segments.reverse());
}

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/**
 * A field path as written in error messages: `batch[3].properties.price`. A key that is not a plain
 * name is quoted (`properties["a b: c"]`), so the path always ends before the first `: `; long keys
 * are shortened and long paths cut with `…`.
 */
export function formatPath(prefix: string, segments: readonly PropertyKey[]): string {
  const cut = segments.length > MAX_PATH_SEGMENTS;
  let text = prefix;
  for (const segment of cut ? segments.slice(0, MAX_PATH_SEGMENTS) : segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = String(segment);
      const shown = key.length > MAX_SHOWN_KEY ? `${key.slice(0, MAX_SHOWN_KEY)}…` : key;
      if (PLAIN_KEY.test(key)) text += text ? `.${shown}` : shown;
      else text += `[${JSON.stringify(shown)}]`;
    }
  }
  if (cut) text += '…';
  return text || 'body';
}
