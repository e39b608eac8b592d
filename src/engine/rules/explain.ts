import { assertNever } from '../../lib/assert-never.js';
import { compare } from '../conditions/compare.js';
import { traitAt } from '../traits/trait-path.js';
import type { CompiledAudience, CompiledAudiences, CompiledCondition } from './compile.js';
import { evaluateAudiences, type EvaluationInput } from './evaluate.js';
import {
  coordinate,
  dateFlipAt,
  dateHolds,
  dateOf,
  dateWindowStart,
  firstInWindow,
  haversineKm,
  performedFlipAt,
  performedHolds,
} from './time-conditions.js';

/**
 * Why a profile is (not) in an audience: the rule tree with, per condition, its label, what was read
 * and whether it holds. Plain JSON (instants as ISO strings, a missing value as null), for the admin
 * API and the CLI. Every child is evaluated (no short-circuit), so the whole tree shows values.
 */
export type ExplainNode =
  | { kind: 'all' | 'any' | 'not'; label: string; holds: boolean; children: ExplainNode[] }
  | {
      /** The audience itself (the root), or an `audience:` condition: its rule is the only child. */
      kind: 'audience';
      label: string;
      holds: boolean;
      audience: string;
      description?: string;
      children: ExplainNode[];
    }
  | {
      kind: 'performed';
      label: string;
      holds: boolean;
      /** Matching events inside the window now. */
      count: number;
      /** True when the kept timestamps are all in the window: older matches may exist (count is a minimum). */
      capped: boolean;
      /** Event times counted, oldest first. */
      timestamps: string[];
      /** Events at or before this instant no longer count. */
      windowStart: string;
      /** When this condition flips with no new event. */
      flipsAt?: string;
    }
  | { kind: 'trait'; label: string; holds: boolean; value: unknown }
  | {
      kind: 'date';
      label: string;
      holds: boolean;
      value: unknown;
      /** The interval in which the condition holds, when the value is a date. */
      from?: string;
      until?: string;
      flipsAt?: string;
    }
  | {
      kind: 'near';
      label: string;
      holds: boolean;
      value: { lat: unknown; lon: unknown };
      /** Distance from the profile's point to the centre (to the metre), when both coordinates are valid. */
      distanceKm?: number;
    };

/** The explanation of one audience, or undefined when no audience has that name. */
export function explainAudience(
  compiled: CompiledAudiences,
  name: string,
  input: EvaluationInput,
): ExplainNode | undefined {
  const audience = compiled.byName.get(name);
  if (audience === undefined) return undefined;
  const { memberships } = evaluateAudiences(compiled, input);
  const root = explainReference(compiled, audience, memberships, input);
  return { ...root, label: audience.name };
}

function explainReference(
  compiled: CompiledAudiences,
  audience: CompiledAudience,
  memberships: Record<string, boolean>,
  input: EvaluationInput,
): ExplainNode {
  const node: ExplainNode = {
    kind: 'audience',
    label: `in audience ${audience.name}`,
    holds: memberships[audience.name] === true,
    audience: audience.name,
    children: [explain(compiled, audience.rule, memberships, input)],
  };
  if (audience.description !== undefined) node.description = audience.description;
  return node;
}

function explain(
  compiled: CompiledAudiences,
  condition: CompiledCondition,
  memberships: Record<string, boolean>,
  input: EvaluationInput,
): ExplainNode {
  const { label } = condition;
  const { now, traits } = input;
  switch (condition.kind) {
    case 'all':
    case 'any': {
      const children = condition.children.map((child) => explain(compiled, child, memberships, input));
      const holds =
        condition.kind === 'all'
          ? children.every((child) => child.holds)
          : children.some((child) => child.holds);
      return { kind: condition.kind, label, holds, children };
    }
    case 'not': {
      const child = explain(compiled, condition.child, memberships, input);
      return { kind: 'not', label, holds: !child.holds, children: [child] };
    }
    case 'performed': {
      const stored = input.performed[condition.key] ?? [];
      const first = firstInWindow(stored, now, condition.windowMs);
      const count = stored.length - first;
      const node: ExplainNode = {
        kind: 'performed',
        label,
        holds: performedHolds(condition.bound, condition.times, count),
        count,
        capped: condition.keep > 0 && first === 0 && stored.length >= condition.keep,
        timestamps: stored.slice(first).map(iso),
        windowStart: iso(now - condition.windowMs),
      };
      const flip = performedFlipAt(condition.bound, condition.times, stored, first, condition.windowMs);
      if (flip !== undefined) node.flipsAt = iso(flip);
      return node;
    }
    case 'trait': {
      const value = traitAt(traits, condition.trait);
      return { kind: 'trait', label, holds: compare(value, condition.comparison), value: value ?? null };
    }
    case 'date': {
      const value = traitAt(traits, condition.trait);
      const date = dateOf(value);
      if (date === undefined) return { kind: 'date', label, holds: false, value: value ?? null };
      const { direction, windowMs } = condition;
      const from = dateWindowStart(direction, date, windowMs);
      const node: ExplainNode = {
        kind: 'date',
        label,
        holds: dateHolds(direction, date, windowMs, now),
        value,
        from: iso(from),
        until: iso(from + windowMs),
      };
      const flip = dateFlipAt(direction, date, windowMs, now);
      if (flip !== undefined) node.flipsAt = iso(flip);
      return node;
    }
    case 'near': {
      const rawLat = traitAt(traits, condition.latTrait);
      const rawLon = traitAt(traits, condition.lonTrait);
      const lat = coordinate(rawLat, 90);
      const lon = coordinate(rawLon, 180);
      const value = { lat: rawLat ?? null, lon: rawLon ?? null };
      if (lat === undefined || lon === undefined) return { kind: 'near', label, holds: false, value };
      const distance = haversineKm(lat, lon, condition.lat, condition.lon);
      const distanceKm = Math.round(distance * 1000) / 1000;
      return { kind: 'near', label, holds: distance <= condition.radiusKm, value, distanceKm };
    }
    case 'audience': {
      const referenced = compiled.byName.get(condition.audience);
      if (referenced === undefined) throw new Error(`unknown audience "${condition.audience}"`);
      return explainReference(compiled, referenced, memberships, input);
    }
    default:
      return assertNever(condition, 'audience condition');
  }
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
