import type { AudienceCondition, PerformedBound } from '../../mappings/audiences-schema.js';
import { ANY_TRACK, type Comparison, type EventMatcher } from '../../mappings/conditions-schema.js';
import { assertNever } from '../../lib/assert-never.js';

/**
 * Readable one-line labels for conditions, as the admin API and the CLI show them:
 * `lead_score > 80`, `performed page where context.page.path = /pricing at least 3 times within 48h`.
 * Built once per configuration (compile), never per evaluation.
 */

export function conditionLabel(condition: AudienceCondition): string {
  switch (condition.kind) {
    case 'all':
      return 'all of';
    case 'any':
      return 'any of';
    case 'not':
      return 'not';
    case 'performed':
      return `performed ${matcherLabel(condition.match)} ${boundLabel(condition.bound, condition.times)} within ${condition.within.text}`;
    case 'trait':
      return comparisonLabel(condition.trait, condition.comparison);
    case 'date':
      return `${condition.trait} within the ${condition.direction} ${condition.within.text}`;
    case 'near':
      return `${condition.latTrait}/${condition.lonTrait} within ${condition.radiusKm} km of ${condition.lat}, ${condition.lon}`;
    case 'audience':
      return `in audience ${condition.audience}`;
    default:
      return assertNever(condition, 'audience condition');
  }
}

export function matcherLabel(match: EventMatcher): string {
  const what =
    match.type === 'track'
      ? match.event === ANY_TRACK
        ? 'any track event'
        : match.event
      : match.name === undefined
        ? match.type
        : `${match.type} ${match.name}`;
  if (match.where.length === 0) return what;
  return `${what} where ${match.where.map((test) => comparisonLabel(test.path, test.comparison)).join(' and ')}`;
}

function boundLabel(bound: PerformedBound, times: number): string {
  const count = `${times} ${times === 1 ? 'time' : 'times'}`;
  switch (bound) {
    case 'at_least':
      return `at least ${count}`;
    case 'at_most':
      return `at most ${count}`;
    case 'exactly':
      return `exactly ${count}`;
    default:
      return assertNever(bound, 'performed bound');
  }
}

const SYMBOLS = { eq: '=', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

export function comparisonLabel(subject: string, comparison: Comparison): string {
  switch (comparison.op) {
    case 'eq':
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return `${subject} ${SYMBOLS[comparison.op]} ${valueLabel(comparison.value)}`;
    case 'in':
      return `${subject} in [${comparison.value.map(valueLabel).join(', ')}]`;
    case 'contains':
      return `${subject} contains ${valueLabel(comparison.value)}`;
    case 'exists':
      return comparison.value ? `${subject} exists` : `${subject} does not exist`;
    case 'matches':
      return `${subject} matches /${comparison.value}/`;
    default:
      return assertNever(comparison, 'comparison operator');
  }
}

function valueLabel(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
