import { z } from 'zod';
import '../lib/zod-messages.js';
import { AudienceDefinition } from './audiences-schema.js';
import { BudgetConfig } from './budget-schema.js';
import { DestinationBlock } from './destinations-schema.js';
import { BoundedDuration } from './duration-schema.js';
import { Name } from './name.js';
import { ScoresConfig } from './scores-schema.js';
import { TraitDefinition } from './traits-schema.js';

export { Name };

/**
 * The mapping-file contract with ops (docs/mappings.md). These zod schemas are the single source
 * of the configuration types and of the JSON Schema editors use (`audience-relay schema`).
 */

/** A browser origin a source accepts events from (docs/intake.md, "Browsers"). */
const AllowedOrigin = z
  .string()
  .regex(
    /^(\*|null|[a-z][a-z0-9+.-]*:\/\/(\*\.)?[^/*\s]+)$/i,
    'must be an origin such as https://www.example.com (no path), https://*.example.com, or *',
  );

export const SourceConfig = z.strictObject({
  write_key: z.string().min(8, 'write_key must be at least 8 characters'),
  webhook_secret: z.string().min(8, 'webhook_secret must be at least 8 characters').optional(),
  /** Browser origins allowed to send with this write key; unset: any origin; []: no browser. */
  allowed_origins: z.array(AllowedOrigin).optional(),
});
export type SourceConfig = z.infer<typeof SourceConfig>;

export const Identifier = z.enum(['userId', 'anonymousId', 'email']);
export type Identifier = z.infer<typeof Identifier>;

export const IdentityConfig = z.strictObject({
  identifiers: z.array(Identifier).min(1).default(['userId', 'anonymousId', 'email']),
  /** 0 is meaningful: events older than the processing time skip windowed traits. */
  allowed_lateness: BoundedDuration({ allowZero: true }).prefault('7d'),
});
export type IdentityConfig = z.infer<typeof IdentityConfig>;

export const EventsConfig = z.strictObject({
  retention: BoundedDuration().prefault('400d'),
  dedupe_window: BoundedDuration().prefault('7d'),
  delivery_log_retention: BoundedDuration().prefault('30d'),
});
export type EventsConfig = z.infer<typeof EventsConfig>;

/** One YAML file under mappings/: any subset of the sections. */
export const MappingFile = z.strictObject({
  sources: z.record(Name, SourceConfig).optional(),
  identity: IdentityConfig.optional(),
  events: EventsConfig.optional(),
  traits: z.record(Name, TraitDefinition).optional(),
  audiences: z.record(Name, AudienceDefinition).optional(),
  destinations: z.record(Name, DestinationBlock).optional(),
  budget: BudgetConfig.optional(),
  scores: ScoresConfig.optional(),
});
export type MappingFile = z.infer<typeof MappingFile>;

/** Every file merged: what the running relay uses. */
export interface RelayConfig {
  sources: Record<string, SourceConfig>;
  identity: IdentityConfig;
  events: EventsConfig;
  /** Computed traits by name (docs/traits.md). */
  traits: Record<string, TraitDefinition>;
  /** Audiences by name (docs/audiences.md); references and cycles are checked at load. */
  audiences: Record<string, AudienceDefinition>;
  /** Destinations by name (docs/mappings.md, docs/delivery.md); each type's own keys are checked at load. */
  destinations: Record<string, DestinationBlock>;
  /** Budget allocation (docs/budget.md); none unless a file has `budget:`. */
  budget?: BudgetConfig;
  /** Score drift monitoring (docs/budget.md "Score monitoring"); defaults unless a file has `scores:`. */
  scores: ScoresConfig;
}

/** Named sections are objects without a prototype: no name (`constructor`...) can reach one. */
function namedSection<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function defaultRelayConfig(): RelayConfig {
  return {
    sources: namedSection(),
    identity: IdentityConfig.parse({}),
    events: EventsConfig.parse({}),
    traits: namedSection(),
    audiences: namedSection(),
    destinations: namedSection(),
    scores: ScoresConfig.parse({}),
  };
}
