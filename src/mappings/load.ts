import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import type { z } from 'zod';
import { substituteEnv } from './env-substitution.js';
import type { DestinationTypeSchemas } from './destination-check.js';
import type { ConfigError } from './config-error.js';
import { mergeFiles, type ParsedFile } from './merge.js';

export type { ConfigError };
import { MappingFile, type RelayConfig } from './schema.js';

export type LoadResult =
  { ok: true; config: RelayConfig; files: string[] } | { ok: false; errors: ConfigError[]; files: string[] };

export function formatConfigError(error: ConfigError): string {
  const where = error.path ? ` ${error.path}:` : '';
  return `${error.file}:${error.line}:${error.column}:${where} ${error.message}`;
}

export function listMappingFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Reads, substitutes, validates and merges every mapping file; reports every error at once.
 * `destinationTypes` are the destination types' schemas (the registry), injected by the caller.
 */
export function loadMappings(
  dir: string,
  env: Record<string, string | undefined> = process.env,
  destinationTypes: Record<string, DestinationTypeSchemas> = {},
): LoadResult {
  const files = listMappingFiles(dir);
  const errors: ConfigError[] = [];
  const parsed: ParsedFile[] = [];
  for (const file of files) {
    const result = parseMappingFile(file, readFileSync(file, 'utf8'), env);
    errors.push(...result.errors);
    if (result.file) parsed.push(result.file);
  }
  if (errors.length === 0) {
    const merged = mergeFiles(parsed, destinationTypes);
    if (merged.ok) return { ok: true, config: merged.config, files };
    errors.push(...merged.errors);
  }
  return { ok: false, errors, files };
}

export function parseMappingFile(
  name: string,
  text: string,
  env: Record<string, string | undefined>,
): { file?: ParsedFile; errors: ConfigError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const locate = (path: PropertyKey[]) => locateInDocument(doc, lineCounter, path);
  const syntaxErrors = doc.errors.map((error) => {
    const position = lineCounter.linePos(error.pos[0]);
    return { file: name, line: position.line, column: position.col, path: '', message: error.message };
  });
  if (syntaxErrors.length > 0) return { errors: syntaxErrors };

  const envErrors = substituteDocument(doc, env).map((missing) => {
    const position = lineCounter.linePos(missing.offset);
    return {
      file: name,
      line: position.line,
      column: position.col,
      path: missing.path,
      message: `environment variable ${missing.variable} is not set`,
    };
  });
  const result = MappingFile.safeParse(doc.toJS() ?? {});
  const schemaErrors = result.success ? [] : zodErrors(name, result.error, doc, lineCounter);
  const errors = [...envErrors, ...schemaErrors];
  if (errors.length > 0 || !result.success) return { errors };
  return { file: { name, content: result.data, locate }, errors: [] };
}

function zodErrors(file: string, error: z.ZodError, doc: Document, lineCounter: LineCounter): ConfigError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        ...locateKey(doc, lineCounter, path, key),
        path: [...path, key].join('.'),
        message: `unknown key "${key}"`,
      }));
    }
    if (issue.code === 'invalid_key') {
      const key = String(path.at(-1));
      return [
        {
          file,
          ...locateKey(doc, lineCounter, path.slice(0, -1), key),
          path: path.join('.'),
          message: issue.issues[0]?.message ?? issue.message,
        },
      ];
    }
    return [
      { file, ...locateInDocument(doc, lineCounter, path), path: path.join('.'), message: issue.message },
    ];
  });
}

/** Where a key (not its value) is written: the place to point at for unknown or invalid names. */
function locateKey(
  doc: Document,
  lineCounter: LineCounter,
  mapPath: PropertyKey[],
  key: string,
): { line: number; column: number } {
  const map = mapPath.length === 0 ? doc.contents : doc.getIn(mapPath as unknown[], true);
  if (isMap(map)) {
    const pair = map.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    if (pair && isNode(pair.key) && pair.key.range) {
      const position = lineCounter.linePos(pair.key.range[0]);
      return { line: position.line, column: position.col };
    }
  }
  return locateInDocument(doc, lineCounter, mapPath);
}

interface MissingVariable {
  variable: string;
  offset: number;
  path: string;
}

function substituteDocument(doc: Document, env: Record<string, string | undefined>): MissingVariable[] {
  const missing: MissingVariable[] = [];
  visit(doc, {
    Scalar(_key, node, ancestry) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const result = substituteEnv(node.value, env);
      node.value = result.value;
      const path = pathOf(ancestry);
      for (const variable of result.missing) missing.push({ variable, offset: node.range?.[0] ?? 0, path });
    },
  });
  return missing;
}

function pathOf(ancestry: readonly unknown[]): string {
  const keys: string[] = [];
  for (const item of ancestry) {
    if (item && typeof item === 'object' && 'key' in item && isScalar((item as { key: unknown }).key)) {
      keys.push(String(((item as { key: { value: unknown } }).key as { value: unknown }).value));
    }
  }
  return keys.join('.');
}

function locateInDocument(
  doc: Document,
  lineCounter: LineCounter,
  path: PropertyKey[],
): { line: number; column: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) {
      const position = lineCounter.linePos(node.range[0]);
      return { line: position.line, column: position.col };
    }
  }
  return { line: 1, column: 1 };
}
