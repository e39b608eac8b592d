import type { TraitDefinition } from '../../mappings/traits-schema.js';

/**
 * The traits a definition reads while applying events: the first segment of each score
 * trait-condition path (`rfm.tier` -> `rfm`). Rebuilding such a trait from history needs an engine
 * with these traits too, or its conditions see them as missing. Model traits read their features
 * from values only, after every other trait, so they need nothing here.
 */
export function traitDependencies(definition: TraitDefinition): string[] {
  if (definition.kind !== 'score') return [];
  const names = definition.rules.flatMap((rule) =>
    rule.when.kind === 'trait' ? [rule.when.condition.trait.split('.')[0] as string] : [],
  );
  return [...new Set(names)];
}
