import { assertNever } from '../../lib/assert-never.js';
import { compare } from '../conditions/compare.js';
import { traitAt } from '../traits/trait-path.js';
import type { CompiledAudiences, CompiledCondition } from './compile.js';
import type { PerformedState } from './performed-state.js';
import {
  coordinate,
  dateFlipAt,
  dateHolds,
  dateOf,
  firstInWindow,
  haversineKm,
  performedFlipAt,
  performedHolds,
} from './time-conditions.js';

/** What one evaluation reads: a profile's trait values (`TraitEngine.values`), performed state, the clock. */
export interface EvaluationInput {
  /** Trait values by name; dotted paths (`rfm.tier`) are read as the trait engine publishes them. */
  traits: Record<string, unknown>;
  performed: PerformedState;
  now: number;
}

export interface EvaluationResult {
  /** Every audience, in definition order. */
  memberships: Record<string, boolean>;
  /**
   * The earliest instant after `now` at which a performed or date condition can flip with time alone,
   * or undefined. Trait VALUES that change with time (decay, `since`, windowed counts) are not in it:
   * combine with `TraitEngine.nextChangeAt`.
   */
  nextFlipAt: number | undefined;
}

interface Scratch {
  input: EvaluationInput;
  results: boolean[];
  next: number;
}

/**
 * Every audience, in dependency order (an `audience:` condition reads the result computed before it).
 * `all` / `any` stop at the first deciding child: the result depends only on the conditions read, so
 * only their flips are collected (fewer, never missed, wake-ups).
 */
export function evaluateAudiences(compiled: CompiledAudiences, input: EvaluationInput): EvaluationResult {
  const scratch: Scratch = { input, results: new Array<boolean>(compiled.audiences.length), next: Infinity };
  for (const audience of compiled.audiences) scratch.results[audience.index] = holds(audience.rule, scratch);
  // A copy of a template with every name already in place: no per-key shape changes.
  const memberships: Record<string, boolean> = { ...compiled.noMemberships };
  const { names, namePositions } = compiled;
  for (let i = 0; i < names.length; i++)
    memberships[names[i] as string] = scratch.results[namePositions[i] as number] === true;
  return { memberships, nextFlipAt: scratch.next === Infinity ? undefined : scratch.next };
}

function holds(condition: CompiledCondition, scratch: Scratch): boolean {
  switch (condition.kind) {
    case 'all':
      for (const child of condition.children) if (!holds(child, scratch)) return false;
      return true;
    case 'any':
      for (const child of condition.children) if (holds(child, scratch)) return true;
      return false;
    case 'not':
      return !holds(condition.child, scratch);
    case 'performed': {
      const { now, performed } = scratch.input;
      const stored = performed[condition.key] ?? NONE;
      const first = firstInWindow(stored, now, condition.windowMs);
      const flip = performedFlipAt(condition.bound, condition.times, stored, first, condition.windowMs);
      if (flip !== undefined && flip < scratch.next) scratch.next = flip;
      return performedHolds(condition.bound, condition.times, stored.length - first);
    }
    case 'trait':
      return compare(traitAt(scratch.input.traits, condition.trait), condition.comparison);
    case 'date': {
      const date = dateOf(traitAt(scratch.input.traits, condition.trait));
      if (date === undefined) return false;
      const { now } = scratch.input;
      const flip = dateFlipAt(condition.direction, date, condition.windowMs, now);
      if (flip !== undefined && flip < scratch.next) scratch.next = flip;
      return dateHolds(condition.direction, date, condition.windowMs, now);
    }
    case 'near': {
      const lat = coordinate(traitAt(scratch.input.traits, condition.latTrait), 90);
      const lon = coordinate(traitAt(scratch.input.traits, condition.lonTrait), 180);
      if (lat === undefined || lon === undefined) return false;
      return haversineKm(lat, lon, condition.lat, condition.lon) <= condition.radiusKm;
    }
    case 'audience':
      return scratch.results[condition.index] === true;
    default:
      return assertNever(condition, 'audience condition');
  }
}

const NONE: readonly number[] = [];
