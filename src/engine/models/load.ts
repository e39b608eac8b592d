import { readFileSync } from 'node:fs';
import { compileModel } from './compile.js';
import { formatModelIssue, fromZodIssues, type ModelIssue } from './issues.js';
import type { Model } from './predict.js';
import { ModelFile } from './schema.js';

export type { ModelIssue } from './issues.js';

export type ModelParseResult = { ok: true; model: Model } | { ok: false; issues: ModelIssue[] };

/** Thrown by `loadModelFile`; the message has one line per issue, each naming the file and field. */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    readonly file: string,
    readonly issues: readonly ModelIssue[],
  ) {
    super(issues.map((issue) => formatModelIssue(file, issue)).join('\n'));
  }
}

/**
 * Reads, validates and compiles a model file (docs/models.md). Throws a ModelFileError whose
 * message names the file and every invalid field, e.g.
 * `models/p.json: trees[0].children[1].leaf: must be a number`.
 */
export function loadModelFile(path: string): Model {
  const text = readText(path);
  const result = typeof text === 'string' ? parseModelText(text) : text;
  if (!result.ok) throw new ModelFileError(path, result.issues);
  return result.model;
}

/** A model from JSON text, as a value: the compiled model or every issue found. */
export function parseModelText(text: string): ModelParseResult {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `is not valid JSON: ${messageOf(error)}` }] };
  }
  return parseModel(input);
}

/**
 * A model from an already-parsed value (e.g. inlined elsewhere). Schema errors are reported first;
 * the structural checks of compile.ts run once the schema is satisfied.
 */
export function parseModel(input: unknown): ModelParseResult {
  const parsed = ModelFile.safeParse(input);
  if (!parsed.success) return { ok: false, issues: fromZodIssues(parsed.error.issues, input) };
  return compileModel(parsed.data);
}

function readText(path: string): string | { ok: false; issues: ModelIssue[] } {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? 'file not found' : `cannot be read: ${messageOf(error)}`;
    return { ok: false, issues: [{ path: '', message }] };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
