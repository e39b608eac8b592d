import { canonicalJson, sha256Hex } from '../../lib/hash.js';
import { MAX_MODEL_FILE_BYTES, MAX_MODEL_NESTING } from '../../mappings/limits.js';
import { readRegularFile } from '../../mappings/read-file.js';
import { compileModel } from './compile.js';
import { formatModelIssue, fromZodIssues, issueAt, type IssuePath, type ModelIssue } from './issues.js';
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
  const result = readModelFile(path);
  if (!result.ok) throw new ModelFileError(path, result.issues);
  return result.model;
}

/**
 * `loadModelFile` as a value: the compiled model or every issue found. Only a regular file is read
 * (never a directory, FIFO or device, nor one over the size limit); never throws.
 */
export function readModelFile(path: string): ModelParseResult {
  const read = readRegularFile(path, MAX_MODEL_FILE_BYTES, 'for a model file');
  if (!read.ok) {
    const message = read.message.startsWith('does not exist') ? 'file not found' : read.message;
    return { ok: false, issues: [{ path: '', message }] };
  }
  return parseModelText(read.text);
}

/** A model from JSON text, as a value: the compiled model or every issue found. Never throws. */
export function parseModelText(text: string): ModelParseResult {
  let input: unknown;
  try {
    input = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `is not valid JSON: ${messageOf(error)}` }] };
  }
  return parseModel(input, modelHash(text));
}

/** What identifies a model file's content: the first 16 hex digits of the SHA-256 of its text. */
export function modelHash(text: string): string {
  return sha256Hex(text).slice(0, 16);
}

/**
 * A model from an already-parsed value (e.g. inlined elsewhere). Schema errors are reported first;
 * the structural checks of compile.ts run once the schema is satisfied. Never throws. Without the
 * text it was read from, the model's hash is that of the value's canonical JSON.
 */
export function parseModel(input: unknown, hash?: string): ModelParseResult {
  const shape = shapeIssues(input);
  if (shape.length > 0) return { ok: false, issues: shape };
  try {
    const parsed = ModelFile.safeParse(input);
    if (!parsed.success) return { ok: false, issues: fromZodIssues(parsed.error.issues, input) };
    return compileModel(parsed.data, hash ?? modelHash(canonicalJson(input)));
  } catch (error) {
    return { ok: false, issues: [{ path: '', message: `cannot be checked: ${messageOf(error)}` }] };
  }
}

/**
 * What the schema cannot be trusted to see: nesting deeper than the limit (checked before any
 * recursive walk) and `__proto__` keys, which JSON allows but objects would silently drop.
 */
function shapeIssues(input: unknown): ModelIssue[] {
  interface Step {
    value: unknown;
    depth: number;
    parent?: Step;
    key?: string | number;
  }
  const pathOf = (step: Step): IssuePath => {
    const path: (string | number)[] = [];
    for (let at: Step | undefined = step; at?.key !== undefined; at = at.parent) path.unshift(at.key);
    return path;
  };
  const issues: ModelIssue[] = [];
  const stack: Step[] = [{ value: input, depth: 0 }];
  while (stack.length > 0 && issues.length < 20) {
    const step = stack.pop() as Step;
    const { value, depth } = step;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_MODEL_NESTING) {
      issues.push(issueAt(pathOf(step), `nests more than ${MAX_MODEL_NESTING} levels deep: over the limit`));
      break;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, depth: depth + 1, parent: step, key: index }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (key === '__proto__') issues.push(issueAt([...pathOf(step), key], 'is not allowed as a key'));
      else
        stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, parent: step, key });
    }
  }
  return issues;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
