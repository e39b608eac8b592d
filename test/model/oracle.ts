/**
 * The reference model: arrival-ordered events in, per person identifiers, events, trait values and
 * audience memberships out. Reads the mapping CONTRACT with the project's own loader; computes
 * everything with the naive oracles next to this file (never with src/engine or src/identity).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DESTINATIONS } from '../../src/destinations/registry.js';
import type { AudienceDefinition } from '../../src/mappings/audiences-schema.js';
import type { BudgetConfig } from '../../src/mappings/budget-schema.js';
import { formatConfigError, loadMappings } from '../../src/mappings/load.js';
import type { TraitDefinition } from '../../src/mappings/traits-schema.js';
import { memberships } from './audience-oracle.js';
import { resolveIdentities, type OracleEvent } from './identity-oracle.js';
import type { ModelFile } from './model-oracle.js';
import { traitValues, type TraitContext } from './trait-oracle.js';

export interface OracleConfig {
  identifiers: readonly string[];
  allowedLatenessMs: number;
  traits: Record<string, TraitDefinition>;
  audiences: Record<string, AudienceDefinition>;
  models: Record<string, ModelFile>;
  /** Per model file, the first 16 hex digits of the SHA-256 of its text (docs/models.md). */
  modelHashes: Record<string, string>;
  /** `budget:` (budget-oracle.ts recounts its audiences' measures). */
  budget?: BudgetConfig;
}

/** The mapping files of `mappingsDir`; model files resolved against the folder that holds it (docs/mappings.md). */
export function loadOracleConfig(mappingsDir: string): OracleConfig {
  const loaded = loadMappings(mappingsDir, {}, DESTINATIONS);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatConfigError).join('\n'));
  const { config } = loaded;
  const models: Record<string, ModelFile> = {};
  const modelHashes: Record<string, string> = {};
  for (const def of Object.values(config.traits)) {
    if (def.kind !== 'model') continue;
    const path = isAbsolute(def.file) ? def.file : resolve(dirname(resolve(mappingsDir)), def.file);
    const text = readFileSync(path, 'utf8');
    models[def.file] = JSON.parse(text) as ModelFile;
    modelHashes[def.file] = createHash('sha256').update(text).digest('hex').slice(0, 16);
  }
  return {
    identifiers: config.identity.identifiers,
    allowedLatenessMs: config.identity.allowed_lateness,
    traits: config.traits,
    audiences: config.audiences,
    models,
    modelHashes,
    ...(config.budget === undefined ? {} : { budget: config.budget }),
  };
}

/** `userId` / `anonymousId`: strings or numbers; "" and null count as absent (docs/intake.md). */
function idOf(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** E-mail from `traits.email` or `context.traits.email`, trimmed and lower-cased (docs/processing.md). */
function emailOf(body: Record<string, unknown>): string | undefined {
  const fromTraits = (body.traits as Record<string, unknown> | undefined)?.email;
  const context = body.context as Record<string, unknown> | undefined;
  const fromContext = (context?.traits as Record<string, unknown> | undefined)?.email;
  const raw =
    typeof fromTraits === 'string' ? fromTraits : typeof fromContext === 'string' ? fromContext : undefined;
  const email = raw?.trim().toLowerCase();
  return email ? email : undefined;
}

/**
 * The events as sent (arrival order, duplicates included) -> what the store keeps: the first of each
 * messageId (docs/intake.md "Dedupe"), numbered in arrival order, with identifiers and event time read.
 */
export function toOracleEvents(sent: Record<string, unknown>[]): OracleEvent[] {
  const seen = new Set<string>();
  const events: OracleEvent[] = [];
  for (const body of sent) {
    const messageId = String(body.messageId);
    if (seen.has(messageId)) continue;
    seen.add(messageId);
    const event: OracleEvent = {
      seq: events.length,
      messageId,
      type: String(body.type),
      eventTime: Date.parse(String(body.timestamp)),
      body,
    };
    const userId = idOf(body.userId);
    const anonymousId = idOf(body.anonymousId);
    const email = emailOf(body);
    if (userId !== undefined) event.userId = userId;
    if (anonymousId !== undefined) event.anonymousId = anonymousId;
    if (email !== undefined) event.email = email;
    if (event.type === 'alias' && idOf(body.previousId) !== undefined)
      event.previousId = idOf(body.previousId);
    events.push(event);
  }
  return events;
}

export interface OraclePerson {
  /** Sorted `kind:value` identifiers. */
  identifiers: string[];
  /** In arrival order. */
  events: OracleEvent[];
}

export function oraclePersons(events: OracleEvent[], config: OracleConfig): OraclePerson[] {
  return resolveIdentities(events, config.identifiers).map((profile) => ({
    identifiers: [...profile.identifiers].sort(),
    events: [...profile.events].sort((a, b) => a.seq - b.seq),
  }));
}

export interface PersonState {
  values: Record<string, unknown>;
  memberships: Set<string>;
}

/** A person's published trait values and memberships at `now`; events were processed at `processedAt`. */
export function personState(
  person: OraclePerson,
  config: OracleConfig,
  processedAt: number,
  now: number,
): PersonState {
  const ctx: TraitContext = {
    traits: config.traits,
    models: config.models,
    modelHashes: config.modelHashes,
    allowedLatenessMs: config.allowedLatenessMs,
    processedAt,
  };
  const values = traitValues(person.events, now, ctx);
  return { values, memberships: memberships(config.audiences, values, person.events, now) };
}

/** The newest `limit` events by event time (then arrival), oldest first: the profile view's timeline. */
export function timelineOf(person: OraclePerson, limit = 50): string[] {
  const sorted = [...person.events].sort((a, b) => a.eventTime - b.eventTime || a.seq - b.seq);
  return sorted.slice(-limit).map((e) => e.messageId);
}
