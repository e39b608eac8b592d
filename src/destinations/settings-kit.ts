import { z } from 'zod';
import '../lib/zod-messages.js';

/** Zod pieces the destinations' `settings:` and mapping schemas share. */

/** An http(s) URL, e.g. an API's address or a fake's; `error` names the field and gives an example. */
export function HttpUrl(error: string) {
  return z.url({ protocol: /^https?$/, error });
}

/** An http(s) base URL that paths are appended to: trailing slashes are dropped. */
export function HttpBaseUrl(error: string) {
  return HttpUrl(error).transform((url) => url.replace(/\/+$/, ''));
}

/**
 * An id of digits, kept as text. YAML reads a bare `555` as a number, which is fine while it is a
 * whole number a double holds exactly; a longer one must be quoted. `ignore` drops separators people
 * copy along with a quoted id (e.g. the dashes of `123-456-7890`).
 */
export function DigitsId(options: { pattern: RegExp; message: string; ignore?: RegExp }) {
  const { pattern, message, ignore } = options;
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
      ctx.addIssue({ code: 'custom', message: 'is too long for a number: quote it' });
      return z.NEVER;
    }
    const text = typeof value === 'number' ? String(value) : value.trim();
    const id = typeof value === 'string' && ignore ? text.replace(ignore, '') : text;
    if (!pattern.test(id)) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return id;
  });
}

/** A trait name or dotted path (`lead_score`, `rfm.tier`): lower_snake_case segments joined by dots. */
export const TraitPath = z
  .string()
  .regex(/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/, 'trait names are lower_snake_case, dotted for paths (rfm.tier)');

/**
 * For a mapping's refinement: each synced value claims the vendor field it lands in; a second claim
 * on the same field is an issue at its path (two values must never overwrite each other there).
 */
export function fieldClaims(
  ctx: z.RefinementCtx,
  clash: (field: string, owner: string, previous: string) => string,
): (field: string, owner: string, path: (string | number)[]) => void {
  const owners = new Map<string, string>();
  return (field, owner, path) => {
    const previous = owners.get(field);
    if (previous !== undefined)
      ctx.addIssue({ code: 'custom', path, message: clash(field, owner, previous) });
    else owners.set(field, owner);
  };
}
