import type { TraitDefinition } from '../../mappings/traits-schema.js';
import { scoreRange } from './histogram.js';

/**
 * What score monitoring watches (docs/scores.md): every `score` and `model` trait, and beside a model
 * with a `shadow:` file the shadow's score as a series of its own (`p_convert.shadow`), over the
 * trait's range (histogram.ts).
 */
export interface ScoreSeries {
  /** The series name: the trait's, or `<trait>.shadow`. */
  series: string;
  trait: string;
  kind: 'score' | 'model';
  shadow: boolean;
  min: number;
  max: number;
}

export const SHADOW_SUFFIX = '.shadow';

export function scoreSeriesOf(traits: Record<string, TraitDefinition>): ScoreSeries[] {
  const series: ScoreSeries[] = [];
  for (const [trait, definition] of Object.entries(traits)) {
    const range = scoreRange(definition);
    if (range === undefined || (definition.kind !== 'score' && definition.kind !== 'model')) continue;
    series.push({ series: trait, trait, kind: definition.kind, shadow: false, ...range });
    if (definition.kind === 'model' && definition.shadow !== undefined)
      series.push({ series: `${trait}${SHADOW_SUFFIX}`, trait, kind: 'model', shadow: true, ...range });
  }
  return series;
}

const DAY_MS = 86_400_000;

/** The UTC day of an instant, `YYYY-MM-DD`: one snapshot per series and day. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The day `days` days before `day`. */
export function daysBefore(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) - days * DAY_MS);
}

/** Milliseconds from `ms` to the next UTC midnight. */
export function untilNextDay(ms: number): number {
  return DAY_MS - (ms % DAY_MS);
}
