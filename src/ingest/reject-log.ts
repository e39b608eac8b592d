import type { Logger } from '../lib/logger.js';
import { SPEC_FIELDS } from './schemas.js';

export interface Rejection {
  route: string;
  status: number;
  /** Short stable code: invalid_event, limit_depth, unauthorized, ... */
  reason: string;
  /** The first offending field's path, as answered (sanitised here before it is logged). */
  field?: string;
  /** The source, when the credential named one. */
  source?: string;
}

/** Top-level event fields and envelope names: kept in logged paths; any other key becomes `*`. */
const KNOWN_KEYS = new Set<string>([
  'body',
  'batch',
  ...SPEC_FIELDS,
  'Authorization',
  'Content-Type',
  'Content-Encoding',
  'Origin',
  'path',
]);
const MAX_LOGGED_SEGMENTS = 4;
/** Distinct (route, status, reason, source) keys remembered; beyond it the oldest are forgotten. */
const MAX_KEYS = 1000;

/**
 * One `warn` line per kind of refusal per window (default 10 s), with how many were not logged since
 * the last line. The line names the route, status, reason, source and field path, never the body
 * or a value from it: keys a sender chose (in `properties`, `traits` ...) are logged as `*`.
 */
export class RejectionLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  record(rejection: Rejection, message = 'intake request rejected'): void {
    const key = `${rejection.route}\n${rejection.status}\n${rejection.reason}\n${rejection.source ?? ''}`;
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.windowMs) {
      seen.suppressed++;
      return;
    }
    if (!seen && this.last.size >= MAX_KEYS) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
    this.last.delete(key);
    this.last.set(key, { at: now, suppressed: 0 });
    const line: Record<string, unknown> = {
      route: rejection.route,
      status: rejection.status,
      reason: rejection.reason,
      source: rejection.source ?? null,
      suppressed: seen?.suppressed ?? 0,
    };
    if (rejection.field !== undefined) line.field = loggablePath(rejection.field);
    this.logger.warn(line, message);
  }
}

const PATH_TOKEN = /\[(\d+)\]|\["(?:[^"\\]|\\.)*"\]|\.?([^.[]+)/g;

/**
 * `batch[3].properties.<chosen key>.x` -> `batch[3].properties.*.*`: spec names and indexes kept,
 * any other key (plain or quoted) replaced by `*`, cut after a few names.
 */
export function loggablePath(path: string): string {
  let text = '';
  let names = 0;
  for (const match of path.matchAll(PATH_TOKEN)) {
    const [, index, name] = match;
    if (index !== undefined) {
      text += `[${index}]`;
      continue;
    }
    if (++names > MAX_LOGGED_SEGMENTS) return `${text}.…`;
    const shown = name !== undefined && KNOWN_KEYS.has(name) ? name : '*';
    text += text ? `.${shown}` : shown;
  }
  return text;
}
