import { dependencyOrder } from '../../mappings/audience-references.js';
import type {
  AudienceCondition,
  AudienceDefinition,
  AudienceValue,
  PerformedBound,
} from '../../mappings/audiences-schema.js';
import type { Comparison, EventMatcher } from '../../mappings/conditions-schema.js';
import { assertNever } from '../../lib/assert-never.js';
import { canonicalJson, sha256Hex } from '../../lib/hash.js';
import { compare } from '../conditions/compare.js';
import { conditionLabel } from './labels.js';

/**
 * Audience definitions compiled once per configuration: conditions carry their label and what
 * evaluation needs (window in ms, the index of a referenced audience, the state key of a performed
 * condition); audiences are in dependency order; RE2 patterns are compiled.
 */

/** One distinct `performed` matcher + window: the timestamps a profile keeps for it. */
export interface PerformedSpec {
  /**
   * Stable state key: a hash of the canonical matcher, window and `keep`. It changes exactly when what
   * the state holds would change, so a state without this key must be rebuilt from stored events.
   */
  readonly key: string;
  readonly match: EventMatcher;
  readonly windowMs: number;
  /** Newest timestamps kept: max over the conditions sharing it (at_least N: N; at_most / exactly N: N + 1). */
  readonly keep: number;
}

export type CompiledCondition =
  | { kind: 'all' | 'any'; label: string; children: CompiledCondition[] }
  | { kind: 'not'; label: string; child: CompiledCondition }
  | {
      kind: 'performed';
      label: string;
      key: string;
      keep: number;
      bound: PerformedBound;
      times: number;
      windowMs: number;
    }
  | { kind: 'trait'; label: string; trait: string; comparison: Comparison }
  | { kind: 'date'; label: string; trait: string; direction: 'next' | 'last'; windowMs: number }
  | {
      kind: 'near';
      label: string;
      latTrait: string;
      lonTrait: string;
      lat: number;
      lon: number;
      radiusKm: number;
    }
  | { kind: 'audience'; label: string; audience: string; index: number };

export interface CompiledAudience {
  readonly name: string;
  /** Position in `CompiledAudiences.audiences` (dependency order). */
  readonly index: number;
  readonly description: string | undefined;
  readonly value: AudienceValue | undefined;
  readonly rule: CompiledCondition;
}

export interface CompiledAudiences {
  /** Every audience name, in definition order (the key order of results). */
  readonly names: readonly string[];
  /** For each name in `names`, its index in `audiences`. */
  readonly namePositions: readonly number[];
  /** Every name mapped to false, in `names` order: the template of evaluation results. */
  readonly noMemberships: Readonly<Record<string, boolean>>;
  /** Referenced audiences before the audiences that refer to them. */
  readonly audiences: readonly CompiledAudience[];
  readonly byName: ReadonlyMap<string, CompiledAudience>;
  /** Distinct performed matcher + window pairs, in first-use order. */
  readonly performed: readonly PerformedSpec[];
}

/** Throws on an unknown `audience:` reference or a cycle: load refuses both, so either is a bug here. */
export function compileAudiences(defs: Record<string, AudienceDefinition>): CompiledAudiences {
  const order = dependencyOrder(defs);
  const indexOf = new Map(order.map((name, index) => [name, index]));
  const specs = performedSpecs(Object.values(defs).map((definition) => definition.rule));

  const compile = (condition: AudienceCondition): CompiledCondition => {
    const label = conditionLabel(condition);
    switch (condition.kind) {
      case 'all':
      case 'any':
        return { kind: condition.kind, label, children: condition.conditions.map(compile) };
      case 'not':
        return { kind: 'not', label, child: compile(condition.condition) };
      case 'performed': {
        const spec = specs.get(specIdentity(condition.match, condition.within.ms));
        if (spec === undefined) throw new Error(`no performed spec for "${label}"`);
        const { bound, times } = condition;
        return {
          kind: 'performed',
          label,
          key: spec.key,
          keep: spec.keep,
          bound,
          times,
          windowMs: spec.windowMs,
        };
      }
      case 'trait':
        warmPattern(condition.comparison);
        return { kind: 'trait', label, trait: condition.trait, comparison: condition.comparison };
      case 'date': {
        const { trait, direction } = condition;
        return { kind: 'date', label, trait, direction, windowMs: condition.within.ms };
      }
      case 'near': {
        const { latTrait, lonTrait, lat, lon, radiusKm } = condition;
        return { kind: 'near', label, latTrait, lonTrait, lat, lon, radiusKm };
      }
      case 'audience': {
        const index = indexOf.get(condition.audience);
        if (index === undefined) throw new Error(`unknown audience "${condition.audience}"`);
        return { kind: 'audience', label, audience: condition.audience, index };
      }
      default:
        return assertNever(condition, 'audience condition');
    }
  };

  const audiences = order.map((name, index): CompiledAudience => {
    const definition = defs[name] as AudienceDefinition;
    return {
      name,
      index,
      description: definition.description,
      value: definition.value,
      rule: compile(definition.rule),
    };
  });
  for (const spec of specs.values()) for (const test of spec.match.where) warmPattern(test.comparison);
  return {
    names: Object.keys(defs),
    namePositions: Object.keys(defs).map((name) => indexOf.get(name) as number),
    noMemberships: Object.fromEntries(Object.keys(defs).map((name) => [name, false])),
    audiences,
    byName: new Map(audiences.map((audience) => [audience.name, audience])),
    performed: [...specs.values()],
  };
}

/** How many newest timestamps decide the condition exactly. */
export function timestampsNeeded(bound: PerformedBound, times: number): number {
  switch (bound) {
    case 'at_least':
      return times;
    case 'at_most':
    case 'exactly':
      return times + 1;
    default:
      return assertNever(bound, 'performed bound');
  }
}

function specIdentity(match: EventMatcher, windowMs: number): string {
  return canonicalJson({ match, windowMs });
}

/** Conditions with the same matcher and window share one timestamp list, long enough for each. */
function performedSpecs(rules: AudienceCondition[]): Map<string, PerformedSpec> {
  const found = new Map<string, { match: EventMatcher; windowMs: number; keep: number }>();
  const visit = (condition: AudienceCondition): void => {
    switch (condition.kind) {
      case 'all':
      case 'any':
        condition.conditions.forEach(visit);
        return;
      case 'not':
        visit(condition.condition);
        return;
      case 'performed': {
        const identity = specIdentity(condition.match, condition.within.ms);
        const keep = timestampsNeeded(condition.bound, condition.times);
        const known = found.get(identity);
        if (known) known.keep = Math.max(known.keep, keep);
        else found.set(identity, { match: condition.match, windowMs: condition.within.ms, keep });
        return;
      }
      case 'trait':
      case 'date':
      case 'near':
      case 'audience':
        return;
      default:
        assertNever(condition, 'audience condition');
    }
  };
  rules.forEach(visit);
  const specs = new Map<string, PerformedSpec>();
  for (const [identity, spec] of found) {
    const key = `p_${sha256Hex(canonicalJson({ ...spec, v: 1 })).slice(0, 16)}`;
    specs.set(identity, { key, ...spec });
  }
  return specs;
}

/** `compare` keeps each RE2 pattern it compiles: compile them now, not on the first event. */
function warmPattern(comparison: Comparison): void {
  if (comparison.op === 'matches') compare('', comparison);
}
