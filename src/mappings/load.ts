import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isNode, isScalar, type Document, type LineCounter } from 'yaml';
import type { z } from 'zod';
import type { DestinationTypeSchemas } from './destination-check.js';
import type { ConfigError } from './config-error.js';
import {
  formatBytes,
  formatCount,
  MAX_ERRORS_PER_FILE,
  MAX_FILE_BYTES,
  MAX_FILES,
  MAX_TOKENS,
  MAX_TOTAL_BYTES,
} from './limits.js';
import { mergeFiles, type ParsedFile } from './merge.js';
import { readRegularFile } from './read-file.js';
import { MappingFile, type RelayConfig } from './schema.js';
import { parseYaml, type TokenBudget } from './yaml-document.js';

export type { ConfigError };

export type LoadResult =
  { ok: true; config: RelayConfig; files: string[] } | { ok: false; errors: ConfigError[]; files: string[] };

export function formatConfigError(error: ConfigError): string {
  const where = error.path ? ` ${error.path}:` : '';
  return `${error.file}:${error.line}:${error.column}:${where} ${error.message}`;
}

const MAPPING_FILE = /\.ya?ml$/;

/**
 * The `*.yaml` / `*.yml` entries of a directory, sorted (whatever they are: load checks each).
 * Hidden entries (`.#traits.yaml`, the lock link an editor keeps while a file is open) are not
 * mapping files.
 */
export function listMappingFiles(dir: string): string[] {
  return scanDirectory(dir).files;
}

function scanDirectory(dir: string): { files: string[]; errors: ConfigError[] } {
  const atDir = (message: string) => ({
    files: [],
    errors: [{ file: dir, line: 1, column: 1, path: '', message }],
  });
  try {
    if (!statSync(dir).isDirectory()) return atDir('the mappings directory is not a directory');
    const files = readdirSync(dir)
      .filter((name) => MAPPING_FILE.test(name) && !name.startsWith('.'))
      .sort()
      .map((name) => join(dir, name));
    return { files, errors: [] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return atDir('the mappings directory does not exist');
    return atDir(`the mappings directory cannot be read (${code ?? (error as Error).message})`);
  }
}

/**
 * Reads, substitutes, validates and merges every mapping file, then checks what the relay would
 * otherwise only find when it builds the configuration (model files); reports every error at once,
 * each with file, line and column. Never throws: a refusal is always a value. `destinationTypes` are
 * the destination types' schemas (the registry), injected by the caller. Model files are resolved
 * against the folder that holds `dir`, as the relay does.
 */
export function loadMappings(
  dir: string,
  env: Record<string, string | undefined> = process.env,
  destinationTypes: Record<string, DestinationTypeSchemas> = {},
): LoadResult {
  let files: string[] = [];
  try {
    const scanned = scanDirectory(dir);
    files = scanned.files;
    if (scanned.errors.length > 0) return { ok: false, errors: scanned.errors, files };
    if (files.length > MAX_FILES)
      return {
        ok: false,
        files,
        errors: [
          {
            file: dir,
            line: 1,
            column: 1,
            path: '',
            message: `holds ${formatCount(files.length)} mapping files: over the limit of ${MAX_FILES} files`,
          },
        ],
      };
    const errors: ConfigError[] = [];
    const parsed: ParsedFile[] = [];
    const budget: TokenBudget = { used: 0 };
    let totalBytes = 0;
    for (const file of files) {
      const read = readRegularFile(file, MAX_FILE_BYTES, 'for a mapping file');
      if (!read.ok) {
        errors.push({
          file,
          line: read.line ?? 1,
          column: read.column ?? 1,
          path: '',
          message: read.message,
        });
        continue;
      }
      totalBytes += read.bytes;
      if (totalBytes > MAX_TOTAL_BYTES) {
        errors.push({
          file,
          line: 1,
          column: 1,
          path: '',
          message: `the mapping files together are over the limit of ${formatBytes(MAX_TOTAL_BYTES)}: not read`,
        });
        break;
      }
      if (budget.used > MAX_TOKENS) break; // Reported once, in the file that went over.
      const result = parseMappingFile(file, read.text, env, budget);
      errors.push(...result.errors);
      if (result.file) parsed.push(result.file);
    }
    if (errors.length === 0) {
      const merged = mergeFiles(parsed, destinationTypes, { mappingsDir: dir });
      if (merged.ok) return { ok: true, config: merged.config, files };
      errors.push(...merged.errors);
    }
    return { ok: false, errors, files };
  } catch (error) {
    // Not expected: every known problem is reported above. Still a refusal, never a crash.
    return {
      ok: false,
      files,
      errors: [
        {
          file: dir,
          line: 1,
          column: 1,
          path: '',
          message: `the mapping files could not be checked: ${error instanceof Error ? error.message : String(error)}`,
        },
      ],
    };
  }
}

/**
 * One file's text: parsed (YAML 1.2 core schema), `${NAME}` substituted, and validated against the
 * schema. `budget` counts YAML tokens across the files of one load.
 */
export function parseMappingFile(
  name: string,
  text: string,
  env: Record<string, string | undefined>,
  budget: TokenBudget = { used: 0 },
): { file?: ParsedFile; errors: ConfigError[] } {
  const yaml = parseYaml(text, env, budget);
  const { doc, lineCounter } = yaml;
  const toError = (problem: { offset: number; path: string; message: string }): ConfigError => {
    const position = lineCounter.linePos(problem.offset);
    return {
      file: name,
      line: position.line,
      column: position.col,
      path: problem.path,
      message: problem.message,
    };
  };
  const problems = yaml.problems.map(toError);
  if (!doc || yaml.value === undefined) return { errors: problems };

  const result = MappingFile.safeParse(yaml.value ?? {});
  const schemaErrors = result.success ? [] : zodErrors(name, result.error, doc, lineCounter);
  const errors = [...problems, ...schemaErrors];
  if (errors.length > 0 || !result.success) return { errors };
  const locate = (path: PropertyKey[]) => locateInDocument(doc, lineCounter, path);
  return { file: { name, content: result.data, locate }, errors: [] };
}

function zodErrors(file: string, error: z.ZodError, doc: Document, lineCounter: LineCounter): ConfigError[] {
  // Locating an error costs a walk from the root: past the cap, the rest are counted, not located.
  const errors: ConfigError[] = [];
  let hidden = 0;
  let firstHidden: (string | number)[] | undefined;
  const add = (
    path: (string | number)[],
    locate: () => { line: number; column: number },
    message: string,
  ) => {
    if (errors.length < MAX_ERRORS_PER_FILE)
      errors.push({ file, ...locate(), path: path.join('.'), message });
    else {
      hidden++;
      firstHidden ??= path;
    }
  };
  for (const issue of error.issues) {
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        add([...path, key], () => locateKey(doc, lineCounter, path, key), `unknown key "${key}"`);
    } else if (issue.code === 'invalid_key') {
      const key = String(path.at(-1));
      add(
        path,
        () => locateKey(doc, lineCounter, path.slice(0, -1), key),
        issue.issues[0]?.message ?? issue.message,
      );
    } else add(path, () => locateInDocument(doc, lineCounter, path), issue.message);
  }
  if (hidden > 0)
    errors.push({
      file,
      ...locateInDocument(doc, lineCounter, firstHidden ?? []),
      path: '',
      message: `and ${formatCount(hidden)} more error(s) in this file, not shown (${MAX_ERRORS_PER_FILE} are)`,
    });
  return errors;
}

/** Where a key (not its value) is written: the place to point at for unknown or invalid names. */
function locateKey(
  doc: Document,
  lineCounter: LineCounter,
  mapPath: PropertyKey[],
  key: string,
): { line: number; column: number } {
  const map = mapPath.length === 0 ? doc.contents : safeGetIn(doc, mapPath);
  if (isMap(map)) {
    const pair = map.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (pair && isNode(pair.key) && pair.key.range) {
      const position = lineCounter.linePos(pair.key.range[0]);
      return { line: position.line, column: position.col };
    }
  }
  return locateInDocument(doc, lineCounter, mapPath);
}

function locateInDocument(
  doc: Document,
  lineCounter: LineCounter,
  path: PropertyKey[],
): { line: number; column: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : safeGetIn(doc, path.slice(0, depth));
    if (isNode(node) && node.range) {
      const position = lineCounter.linePos(node.range[0]);
      return { line: position.line, column: position.col };
    }
  }
  return { line: 1, column: 1 };
}

function safeGetIn(doc: Document, path: PropertyKey[]): unknown {
  try {
    return doc.getIn(path as unknown[], true);
  } catch {
    return undefined;
  }
}
