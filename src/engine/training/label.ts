import { z } from 'zod';
import { parseDuration } from '../../lib/duration.js';

/**
 * A training label (docs/training-export.md): `"<Event Name> within <duration>"`, e.g. `"Order
 * Completed within 30d"`: 1 when the person sent a track event of that exact name with an event time
 * in (cutoff, cutoff + duration], else 0.
 */
export interface TrainingLabel {
  event: string;
  windowMs: number;
  /** As written. */
  text: string;
}

const LABEL_PATTERN = /^(.*\S)\s+within\s+(\S+)$/;

export function parseLabel(text: string): TrainingLabel | { error: string } {
  const match = LABEL_PATTERN.exec(text.trim());
  if (!match)
    return { error: 'must read "<Event Name> within <duration>", such as "Order Completed within 30d"' };
  const windowMs = parseDuration(match[2] as string);
  if (windowMs === undefined || windowMs <= 0)
    return { error: `"${match[2]}" is not a duration such as 30s, 15m, 48h, 7d or 4w` };
  return { event: match[1] as string, windowMs, text: text.trim() };
}

/** `GET /admin/api/training-export?cutoff=<ISO time>&label=<label>`. */
export const TrainingExportQuery = z.object({
  cutoff: z
    .string({ error: 'is required: an ISO time such as 2025-05-01T00:00:00Z' })
    .transform((text, ctx) => {
      const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO time such as 2025-05-01T00:00:00Z' });
        return z.NEVER;
      }
      return ms;
    }),
  label: z.string({ error: 'is required, such as "Order Completed within 30d"' }).transform((text, ctx) => {
    const label = parseLabel(text);
    if ('error' in label) {
      ctx.addIssue({ code: 'custom', message: label.error });
      return z.NEVER;
    }
    return label;
  }),
});
export type TrainingExportQuery = z.infer<typeof TrainingExportQuery>;
