import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { canonicalJson, sha256Hex } from '../../lib/hash.js';
import type { RelayConfig } from '../../mappings/schema.js';
import { BUDGET_VALUES_DEFINITION, budgetValueSpecs } from '../budget/contribution.js';
import { loadModelFile } from '../models/load.js';
import { createAudienceRules } from '../rules/rules.js';
import { createTraitEngine, traitDependencies } from '../traits/engine.js';
import type { TraitDefinition } from '../../mappings/traits-schema.js';
import type { ProcessingSetup } from './processor.js';

/**
 * Builds what processing needs from a configuration. Model files are resolved against the folder
 * that holds the mappings folder (so `models/p.json` sits beside `mappings/`), and a model file's
 * content is part of its trait's hash. Throws (naming the file and field) when a model is invalid.
 */
/** The traits a destination block syncs, as its destination type reads its mapping (match-key traits too). */
export type DestinationTraits = (block: RelayConfig['destinations'][string]) => string[];

export function buildProcessingSetup(
  config: RelayConfig,
  mappingsDir: string,
  destinationTraits: DestinationTraits = traitsNamedInBlock,
): ProcessingSetup {
  const root = dirname(resolve(mappingsDir));
  const modelPath = (file: string) => (isAbsolute(file) ? file : resolve(root, file));
  const loadModel = (file: string) => loadModelFile(modelPath(file));
  const defs = config.traits;
  // A trait rebuilt alone still needs the traits its conditions read (a score on rfm.tier).
  const withDependencies = (name: string) =>
    Object.fromEntries(
      [name, ...traitDependencies(defs[name] as TraitDefinition)]
        .filter((dependency) => defs[dependency] !== undefined)
        .map((dependency) => [dependency, defs[dependency] as TraitDefinition]),
    );
  const single = Object.fromEntries(
    Object.keys(defs).map((name) => [name, createTraitEngine(withDependencies(name), { loadModel })]),
  );
  const hashes = Object.fromEntries(
    Object.entries(defs).map(([name, def]) => {
      const model = def.kind === 'model' ? readFileSync(modelPath(def.file), 'utf8') : '';
      // A shadow model is scored only when values are read: adding or swapping one rescores nothing.
      const live = def.kind === 'model' ? { kind: def.kind, file: def.file } : def;
      return [name, sha256Hex(`${canonicalJson(live)}\n${model}`).slice(0, 16)];
    }),
  );
  const modelOutput = (trait: string) => {
    const def = defs[trait];
    return def?.kind === 'model' ? loadModel(def.file).output : 'probability';
  };
  return {
    identifiers: config.identity.identifiers,
    rules: createAudienceRules(config.audiences),
    syncedTraits: syncedTraitsOf(config, destinationTraits),
    budget: budgetValueSpecs(config.budget, config.audiences, defs, modelOutput),
    traits: {
      engine: createTraitEngine(defs, { loadModel }),
      single,
      hashes,
      allowedLatenessMs: config.identity.allowed_lateness,
    },
  };
}

/** Every trait or trait path some destination syncs. */
export function syncedTraitsOf(
  config: RelayConfig,
  destinationTraits: DestinationTraits = traitsNamedInBlock,
): string[] {
  const names = new Set<string>();
  for (const block of Object.values(config.destinations ?? {})) {
    for (const name of destinationTraits(block)) names.add(name);
  }
  return [...names].sort();
}

/** The traits a block names under `traits:` (a list, or a map keyed by trait). */
function traitsNamedInBlock(block: RelayConfig['destinations'][string]): string[] {
  const traits = (block as { traits?: unknown }).traits;
  if (Array.isArray(traits)) return traits.map(String);
  if (traits && typeof traits === 'object') return Object.keys(traits);
  return [];
}

/**
 * The hash of every definition in force, keyed `trait:<name>` / `audience:<name>` (what backfills
 * follow), and `budget:values` for how the budget audiences read their members' values: a change
 * of it walks every profile once to recompute its contributions to the running sums.
 */
export function definitionHashes(config: RelayConfig, setup: ProcessingSetup): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const [name, hash] of Object.entries(setup.traits.hashes)) hashes[`trait:${name}`] = hash;
  for (const [name, audience] of Object.entries(config.audiences)) {
    hashes[`audience:${name}`] = sha256Hex(canonicalJson(audience.rule)).slice(0, 16);
  }
  if (setup.budget !== undefined && setup.budget.length > 0)
    hashes[BUDGET_VALUES_DEFINITION] = sha256Hex(canonicalJson(setup.budget)).slice(0, 16);
  return hashes;
}
