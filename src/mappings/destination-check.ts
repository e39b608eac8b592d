import type { z } from 'zod';
import type { DestinationBlock } from './destinations-schema.js';

/** What the mapping loader needs to know of a destination type: its two schemas (injected, see relay.ts). */
export interface DestinationTypeSchemas {
  settingsSchema: z.ZodType;
  mappingSchema: z.ZodType;
  /** The audiences a parsed mapping syncs, to check they exist. */
  audiencesOf?: (mapping: unknown) => string[];
  /** The traits a parsed mapping needs (synced and match-key traits), for processing to emit. */
  traitsOf?: (mapping: unknown) => string[];
}

/**
 * The traits each destination block needs, as its type reads the mapping: `traits:` and the traits
 * its match keys come from (a phone number for an ad audience). Blocks of unknown types or invalid
 * mappings need none (the loader refused them already).
 */
export function destinationTraitsOf(
  types: Record<string, DestinationTypeSchemas>,
): (block: DestinationBlock) => string[] {
  return (block) => {
    const type = types[block.type];
    if (!type?.traitsOf) return [];
    const parsed = type.mappingSchema.safeParse(mappingPart(block));
    return parsed.success ? type.traitsOf(parsed.data) : [];
  };
}

export interface DestinationIssue {
  destination: string;
  path: PropertyKey[];
  message: string;
}

const BLOCK_KEYS = new Set(['type', 'settings', 'limits', 'enabled']);

/** The type-specific keys of a destination block (everything but type, settings, limits, enabled). */
export function mappingPart(block: DestinationBlock): Record<string, unknown> {
  return Object.fromEntries(Object.entries(block).filter(([key]) => !BLOCK_KEYS.has(key)));
}

/** Checks each destination block against its type's schemas and the audiences that exist. */
export function destinationIssues(
  destinations: Record<string, DestinationBlock>,
  types: Record<string, DestinationTypeSchemas>,
  audiences: Record<string, unknown>,
): DestinationIssue[] {
  const issues: DestinationIssue[] = [];
  for (const [name, block] of Object.entries(destinations)) {
    // Own keys only: `type: constructor` must not find Object's constructor.
    const type = Object.hasOwn(types, block.type) ? types[block.type] : undefined;
    if (!type) {
      const known = Object.keys(types).sort().join(', ');
      issues.push({
        destination: name,
        path: ['type'],
        message: `unknown destination type "${block.type}" (known: ${known})`,
      });
      continue;
    }
    const settings = type.settingsSchema.safeParse(block.settings);
    if (!settings.success) {
      for (const issue of settings.error.issues) {
        issues.push({ destination: name, path: ['settings', ...issue.path], message: issue.message });
      }
    }
    const mapping = type.mappingSchema.safeParse(mappingPart(block));
    if (!mapping.success) {
      for (const issue of mapping.error.issues)
        issues.push({ destination: name, path: issue.path, message: issue.message });
      continue;
    }
    for (const audience of type.audiencesOf?.(mapping.data) ?? []) {
      if (!Object.hasOwn(audiences, audience)) {
        issues.push({ destination: name, path: ['audiences'], message: `unknown audience "${audience}"` });
      }
    }
  }
  return issues;
}
