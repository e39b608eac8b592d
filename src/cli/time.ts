import { parseDuration } from '../lib/duration.js';
import { UsageError } from './errors.js';

/**
 * `--since` / `--until` values as the API takes them: an ISO time (or epoch ms) as is, a duration
 * such as `30m`, `2h`, `7d` as that long before now.
 */
export function resolveTime(option: string, text: string, now = Date.now()): string {
  const trimmed = text.trim();
  const ago = parseDuration(trimmed);
  if (ago !== undefined) return new Date(now - ago).toISOString();
  const time = /^\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
  if (Number.isNaN(time)) {
    throw new UsageError(`${option}: "${text}" is not an ISO time or a duration such as 30m, 2h, 7d`);
  }
  return new Date(time).toISOString();
}
