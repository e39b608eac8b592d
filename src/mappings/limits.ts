/**
 * The limits the mapping loader enforces (docs/mappings.md "Limits"). Each one keeps a hostile or
 * mistaken file from hanging or exhausting the relay; every refusal names the limit it hit.
 */

/** One mapping file, in bytes (1 MiB). */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Every mapping file together, in bytes (4 MiB). */
export const MAX_TOTAL_BYTES = 4 * 1024 * 1024;
/** `*.yaml` / `*.yml` entries in the mappings directory. */
export const MAX_FILES = 200;
/**
 * YAML tokens (keys, values, indicators) of every file together: parsing time grows with them, so
 * this bounds how long a reload can take (a few seconds at worst).
 */
export const MAX_TOKENS = 250_000;
/** How deep maps and lists may nest in a file (aliases included). */
export const MAX_NESTING = 100;
/** Aliases (`*name`) in one file. */
export const MAX_ALIASES = 1000;
/** Values aliases may add to one file once expanded: anchors may be reused, but not "billion laughs". */
export const MAX_ALIAS_EXPANSION = 100_000;
/** Errors reported per file (and for the checks across files); the rest are counted. */
export const MAX_ERRORS_PER_FILE = 100;
/** `all` / `any` / `not` nesting of one audience rule (the rule itself is depth 1). */
export const MAX_RULE_DEPTH = 32;
export const MAX_TRAITS = 1000;
export const MAX_AUDIENCES = 1000;
export const MAX_SOURCES = 100;
export const MAX_DESTINATIONS = 100;
/** A `matches` pattern, in characters. */
export const MAX_PATTERN_LENGTH = 1000;
/** A `matches` pattern once compiled, in RE2 instructions: matching time grows with it. */
export const MAX_PATTERN_PROGRAM = 1000;
/** A model file, in bytes (32 MiB). */
export const MAX_MODEL_FILE_BYTES = 32 * 1024 * 1024;
/** How deep a model file's JSON may nest (a tree ensemble nests two levels per tree level). */
export const MAX_MODEL_NESTING = 256;

export const DAY_MS = 86_400_000;
/** The longest duration anywhere in the mapping files: 3650d (about 10 years). */
export const MAX_DURATION_MS = 3650 * DAY_MS;
export const MAX_DURATION_TEXT = '3650d';
/** A destination request timeout: longer than 0, at most 10 minutes. */
export const MAX_TIMEOUT_MS = 10 * 60_000;
export const MAX_TIMEOUT_TEXT = '10m';
/** Destination `requests_per_second`. */
export const MIN_REQUESTS_PER_SECOND = 0.001;
export const MAX_REQUESTS_PER_SECOND = 100_000;
/** Destination `batch_size` (each type also caps it at its API's maximum). */
export const MAX_BATCH_SIZE = 10_000;

/** `1048576` -> `1 MB`, `33554432` -> `32 MB`; small sizes in bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${bytes} bytes`;
}

/** `250000` -> `250,000` (messages only; independent of the locale). */
export function formatCount(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
