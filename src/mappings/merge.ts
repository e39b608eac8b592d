import { audienceIssues } from './audience-references.js';
import { budgetIssues } from './budget-check.js';
import { checkModelTraits, describeModelProblem } from './check.js';
import { destinationIssues, type DestinationTypeSchemas } from './destination-check.js';
import type { ConfigError } from './config-error.js';
import {
  formatCount,
  MAX_AUDIENCES,
  MAX_DESTINATIONS,
  MAX_ERRORS_PER_FILE,
  MAX_SOURCES,
  MAX_TRAITS,
} from './limits.js';
import { defaultRelayConfig, type MappingFile, type RelayConfig } from './schema.js';

/** A mapping file that parsed and validated on its own, with a way to point at its keys. */
export interface ParsedFile {
  name: string;
  content: MappingFile;
  locate: (path: PropertyKey[]) => { line: number; column: number };
}

export interface MergeOptions {
  /** Check `model:` traits' files, resolved against the folder that holds this directory. */
  mappingsDir?: string;
}

/** How many of each named section a configuration may hold (docs/mappings.md "Limits"). */
const SECTION_LIMITS = [
  ['sources', 'sources', MAX_SOURCES],
  ['traits', 'traits', MAX_TRAITS],
  ['audiences', 'audiences', MAX_AUDIENCES],
  ['destinations', 'destinations', MAX_DESTINATIONS],
] as const;

/**
 * Merges every file's sections; a name defined twice, broken cross-references, sections over
 * their limit and invalid model files are errors, each at the place it is written. The merged
 * sections are objects without a prototype: a name can never reach one.
 */
export function mergeFiles(
  files: ParsedFile[],
  destinationTypes: Record<string, DestinationTypeSchemas>,
  options: MergeOptions = {},
): { ok: true; config: RelayConfig } | { ok: false; errors: ConfigError[] } {
  const config = defaultRelayConfig();
  const errors: ConfigError[] = [];
  const sourceOrigin = new Map<string, string>();
  const writeKeyOrigin = new Map<string, string>();
  const sectionOrigin = new Map<string, string>();
  const traitOrigin = new Map<string, string>();
  const destinationOrigin = new Map<string, string>();
  const destinationFile = new Map<string, ParsedFile>();
  const audienceOrigin = new Map<string, ParsedFile>();
  const traitFile = new Map<string, ParsedFile>();
  const sourceFile = new Map<string, ParsedFile>();
  const sectionFile = new Map<string, ParsedFile>();
  let hidden = 0;
  // Locating an error costs a walk from the root: past the cap, the rest are counted, not located.
  const duplicate = (file: ParsedFile, path: (string | number)[], message: string) => {
    if (errors.length >= MAX_ERRORS_PER_FILE) hidden++;
    else errors.push({ file: file.name, ...file.locate(path), path: path.join('.'), message });
  };

  for (const file of files) {
    for (const [name, source] of Object.entries(file.content.sources ?? {})) {
      const firstFile = sourceOrigin.get(name);
      if (firstFile)
        duplicate(file, ['sources', name], `source "${name}" is already defined in ${firstFile}`);
      const keyOwner = writeKeyOrigin.get(source.write_key);
      if (keyOwner)
        duplicate(file, ['sources', name, 'write_key'], `write_key is already used by source "${keyOwner}"`);
      sourceOrigin.set(name, file.name);
      sourceFile.set(name, file);
      writeKeyOrigin.set(source.write_key, name);
      config.sources[name] = source;
    }
    for (const [name, trait] of Object.entries(file.content.traits ?? {})) {
      const firstFile = traitOrigin.get(name);
      if (firstFile) duplicate(file, ['traits', name], `trait "${name}" is already defined in ${firstFile}`);
      traitOrigin.set(name, file.name);
      traitFile.set(name, file);
      config.traits[name] = trait;
    }
    for (const [name, audience] of Object.entries(file.content.audiences ?? {})) {
      const first = audienceOrigin.get(name);
      if (first) {
        // Keep the first definition: cross-reference errors then point at the file it came from.
        duplicate(file, ['audiences', name], `audience "${name}" is already defined in ${first.name}`);
        continue;
      }
      audienceOrigin.set(name, file);
      config.audiences[name] = audience;
    }
    for (const [name, destination] of Object.entries(file.content.destinations ?? {})) {
      const firstFile = destinationOrigin.get(name);
      if (firstFile)
        duplicate(file, ['destinations', name], `destination "${name}" is already defined in ${firstFile}`);
      destinationOrigin.set(name, file.name);
      destinationFile.set(name, file);
      config.destinations[name] = destination;
    }
    for (const section of ['identity', 'events', 'budget', 'scores'] as const) {
      const value = file.content[section];
      if (value === undefined) continue;
      const firstFile = sectionOrigin.get(section);
      if (firstFile) duplicate(file, [section], `section "${section}" is already defined in ${firstFile}`);
      sectionOrigin.set(section, file.name);
      sectionFile.set(section, file);
      if (section === 'identity') config.identity = file.content.identity ?? config.identity;
      else if (section === 'events') config.events = file.content.events ?? config.events;
      else if (section === 'budget') config.budget = file.content.budget;
      else config.scores = file.content.scores ?? config.scores;
    }
  }
  const origins = {
    sources: sourceFile,
    traits: traitFile,
    audiences: audienceOrigin,
    destinations: destinationFile,
  };
  for (const [section, label, limit] of SECTION_LIMITS) {
    const names = Object.keys(config[section]);
    const first = names[limit];
    const file = first === undefined ? undefined : origins[section].get(first);
    if (first !== undefined && file)
      duplicate(
        file,
        [section, first],
        `more than ${formatCount(limit)} ${label} in the mapping files together: over the limit`,
      );
  }
  // Across files: references to audiences and traits, and cycles, each at the place it is written.
  for (const issue of audienceIssues(config.audiences, config.traits)) {
    const file = audienceOrigin.get(issue.audience);
    if (file) duplicate(file, ['audiences', issue.audience, ...issue.path], issue.message);
  }
  for (const issue of destinationIssues(config.destinations, destinationTypes, config.audiences)) {
    const file = destinationFile.get(issue.destination);
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    if (file) duplicate(file, ['destinations', issue.destination, ...path], issue.message);
  }
  const budgetFile = sectionFile.get('budget');
  if (config.budget && budgetFile)
    for (const issue of budgetIssues(config.budget, config.audiences, config.traits, config.destinations))
      duplicate(budgetFile, ['budget', ...issue.path], issue.message);
  // What the relay would otherwise only find when it builds the configuration: the model files.
  if (options.mappingsDir !== undefined)
    checkModelTraits(config.traits, options.mappingsDir, (trait, written, problem, field) => {
      const file = traitFile.get(trait);
      if (file) duplicate(file, ['traits', trait, 'model', field], describeModelProblem(written, problem));
    });
  const last = errors.at(-1);
  if (hidden > 0 && last)
    errors.push({
      ...last,
      path: '',
      message: `and ${formatCount(hidden)} more error(s) across the files, not shown (${MAX_ERRORS_PER_FILE} are)`,
    });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}
