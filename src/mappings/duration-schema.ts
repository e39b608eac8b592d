import { z } from 'zod';
import { parseDuration } from '../lib/duration.js';
import { MAX_DURATION_MS, MAX_DURATION_TEXT } from './limits.js';

/**
 * Durations in the mapping files (`250ms`, `30s`, `15m`, `48h`, `7d`, `4w`), bounded: longer than 0
 * where 0 means nothing (windows, timeouts, half-lives, retention), and never longer than a limit
 * (3650d unless a tighter one applies), so `8600000000000000000000000000000ms` is an error, not a
 * number that overflows timers and date arithmetic.
 */
export interface DurationBounds {
  /** 0 is a meaningful value (e.g. "no lateness allowed", "send at once"). */
  allowZero?: boolean;
  maxMs?: number;
  /** `maxMs` as written in messages, e.g. `10m`. */
  maxText?: string;
  /** The message for text that is not a duration at all. */
  malformed?: (text: string) => string;
  /** The message for 0 when it is not allowed. */
  zero?: (text: string) => string;
}

const EXAMPLES = '30s, 15m, 48h, 7d or 4w';

export function durationProblem(text: string, bounds: DurationBounds = {}): string | undefined {
  return checkDuration(text, bounds).problem;
}

export function checkDuration(
  text: string,
  bounds: DurationBounds = {},
): { ms: number; problem?: undefined } | { ms?: undefined; problem: string } {
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  const ms = parseDuration(text);
  if (ms === undefined)
    return { problem: bounds.malformed?.(shown) ?? `"${shown}" is not a duration such as ${EXAMPLES}` };
  if (ms <= 0 && !bounds.allowZero) return { problem: bounds.zero?.(shown) ?? 'must be longer than 0' };
  const maxMs = bounds.maxMs ?? MAX_DURATION_MS;
  if (!(ms <= maxMs)) {
    const maxText = bounds.maxText ?? `${MAX_DURATION_TEXT} (about 10 years)`;
    return { problem: `"${shown}" is longer than the limit of ${maxText}` };
  }
  return { ms };
}

/** A duration parsed to milliseconds, within `bounds`. */
export function BoundedDuration(bounds: DurationBounds = {}) {
  return z.string().transform((text, ctx) => {
    const checked = checkDuration(text, bounds);
    if (checked.problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: checked.problem });
      return z.NEVER;
    }
    return checked.ms;
  });
}

/** A duration kept as written (the delivery runner parses it), checked against `bounds`. */
export function DurationText(bounds: DurationBounds = {}) {
  return z.string().superRefine((text, ctx) => {
    const problem = durationProblem(text, bounds);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}
