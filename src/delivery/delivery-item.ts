import type { DeliveryItem } from './destination.js';

/**
 * A delivery item with the optional parts filled in: case files and tests give only what matters
 * to them. `allIdentifiers` defaults to `identifiers`, `knownTraits` to `traits`.
 */
export function deliveryItem(
  partial: Pick<DeliveryItem, 'profileId' | 'version' | 'identifiers'> & Partial<DeliveryItem>,
): DeliveryItem {
  const traits = partial.traits ?? {};
  const allIdentifiers =
    partial.allIdentifiers ??
    (['userId', 'email', 'anonymousId'] as const).flatMap((kind) => {
      const value = partial.identifiers[kind];
      return value === undefined ? [] : [{ kind, value }];
    });
  return {
    audiences: {},
    held: {},
    memory: {},
    causedBy: [],
    ...partial,
    traits,
    allIdentifiers,
    knownTraits: partial.knownTraits ?? traits,
  };
}
