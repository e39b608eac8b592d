import { assertNever } from '../lib/assert-never.js';
import type { AudienceCondition, AudienceDefinition } from './audiences-schema.js';

/**
 * How audiences refer to each other (`audience: <name>`) and to traits (`value:`): the checks made
 * when mapping files are merged, and the dependency order the rule engine evaluates in. Pure.
 */

/** A place inside one audience definition, e.g. `['rule', 'all', 0, 'audience']`. */
export type DefinitionPath = (string | number)[];

export interface AudienceReference {
  /** The audience referred to. */
  audience: string;
  /** Where the reference is written, inside the referring audience's definition. */
  path: DefinitionPath;
}

/** Every `audience:` condition of a rule, in written order, with the path it is written at. */
export function referencesIn(
  condition: AudienceCondition,
  path: DefinitionPath = ['rule'],
): AudienceReference[] {
  switch (condition.kind) {
    case 'all':
      return condition.conditions.flatMap((child, i) => referencesIn(child, [...path, 'all', i]));
    case 'any':
      return condition.conditions.flatMap((child, i) => referencesIn(child, [...path, 'any', i]));
    case 'not':
      return referencesIn(condition.condition, [...path, 'not']);
    case 'audience':
      return [{ audience: condition.audience, path: [...path, 'audience'] }];
    case 'performed':
    case 'trait':
    case 'date':
    case 'near':
      return [];
    default:
      return assertNever(condition, 'audience condition');
  }
}

/** A problem found in one audience's definition. */
export interface AudienceIssue {
  audience: string;
  path: DefinitionPath;
  message: string;
}

/**
 * Unknown `audience:` references, cycles (`a -> b -> a`, reported once, at the reference that closes
 * it) and `value:` traits missing from `traits` (a dotted path must start with a defined trait).
 */
export function audienceIssues(
  audiences: Record<string, AudienceDefinition>,
  traits: Record<string, unknown>,
): AudienceIssue[] {
  const issues: AudienceIssue[] = [];
  for (const [name, definition] of Object.entries(audiences)) {
    for (const reference of referencesIn(definition.rule)) {
      if (!Object.hasOwn(audiences, reference.audience))
        issues.push({
          audience: name,
          path: reference.path,
          message: `unknown audience "${reference.audience}"`,
        });
    }
    for (const field of ['probability', 'order_value'] as const) {
      const trait = definition.value?.[field];
      if (trait === undefined || typeof trait === 'number') continue;
      const head = trait.split('.')[0] ?? trait;
      if (!Object.hasOwn(traits, head))
        issues.push({
          audience: name,
          path: ['value', field],
          message: `trait "${head}" is not defined under traits (value.${field} must name a computed trait)`,
        });
    }
  }
  walk(audiences, (cycle, reference, from) =>
    issues.push({ audience: from, path: reference.path, message: `audience cycle: ${cycle.join(' -> ')}` }),
  );
  return issues;
}

/**
 * Audience names with every referenced audience before the audiences that refer to it (definition
 * order otherwise). Throws on a cycle: load refuses those, so one here is a bug.
 */
export function dependencyOrder(audiences: Record<string, AudienceDefinition>): string[] {
  return walk(audiences, (cycle) => {
    throw new Error(`audience cycle: ${cycle.join(' -> ')}`);
  });
}

/** Depth-first over references (unknown names skipped); returns the post-order, reports back edges. */
function walk(
  audiences: Record<string, AudienceDefinition>,
  onCycle: (cycle: string[], reference: AudienceReference, from: string) => void,
): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (name: string) => {
    stack.push(name);
    const definition = audiences[name];
    for (const reference of definition ? referencesIn(definition.rule) : []) {
      const target = reference.audience;
      if (!Object.hasOwn(audiences, target) || done.has(target)) continue;
      const onStack = stack.indexOf(target);
      if (onStack >= 0) onCycle([...stack.slice(onStack), target], reference, name);
      else visit(target);
    }
    stack.pop();
    done.add(name);
    order.push(name);
  };
  for (const name of Object.keys(audiences)) if (!done.has(name)) visit(name);
  return order;
}
