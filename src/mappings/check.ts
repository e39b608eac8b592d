import { dirname, isAbsolute, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { ModelFileError, readModelFile, type ModelIssue } from '../engine/models/load.js';
import type { ConfigError } from './config-error.js';
import { readRegularFile } from './read-file.js';
import type { RelayConfig } from './schema.js';
import type { TraitDefinition } from './traits-schema.js';

/**
 * The checks the relay makes when it builds a configuration (model files today), made at load so
 * `validate` and a reload refuse what the relay would refuse at start. Never throws.
 */

/** Where the relay reads `model: { file }`: relative to the folder that holds the mappings folder. */
export function modelPath(file: string, mappingsDir: string): string {
  return isAbsolute(file) ? file : resolve(dirname(resolve(mappingsDir)), file);
}

/** One problem of a model file, at its line and column in that file (1:1 for the file as a whole). */
export interface ModelProblem {
  line: number;
  column: number;
  /** The field, as written in messages (`trees[0].leaf`); '' for the file. */
  path: string;
  message: string;
}

/** Every problem of the model file at `path` (read only if it is a regular file within the limit). */
export function modelFileProblems(path: string): ModelProblem[] {
  const result = readModelFile(path);
  return result.ok ? [] : locateModelIssues(path, result.issues);
}

/** A model problem as the text of a mapping-file error: `model file models/p.json:5:17: trees[0].leaf: ...`. */
export function describeModelProblem(written: string, problem: ModelProblem): string {
  if (problem.path === '') return `model file ${written}: ${problem.message}`;
  return `model file ${written}:${problem.line}:${problem.column}: ${problem.path}: ${problem.message}`;
}

/** The model field a problem belongs to: the live model's `file`, or the `shadow` beside it. */
export type ModelField = 'file' | 'shadow';

/** The model traits' problems, each reported by `report` (which knows where the trait is written). */
export function checkModelTraits(
  traits: Record<string, TraitDefinition>,
  mappingsDir: string,
  report: (trait: string, written: string, problem: ModelProblem, field: ModelField) => void,
): void {
  const checked = new Map<string, ModelProblem[]>();
  for (const [name, trait] of Object.entries(traits)) {
    if (trait.kind !== 'model') continue;
    const files: [ModelField, string | undefined][] = [
      ['file', trait.file],
      ['shadow', trait.shadow],
    ];
    for (const [field, written] of files) {
      if (written === undefined) continue;
      const path = modelPath(written, mappingsDir);
      let problems = checked.get(path);
      if (problems === undefined) {
        problems = modelFileProblems(path);
        checked.set(path, problems);
      }
      for (const problem of problems) report(name, written, problem, field);
    }
  }
}

/**
 * The same checks for a configuration whose mapping files are not at hand: each error at the
 * model file's own line and column.
 */
export function checkConfig(config: RelayConfig, mappingsDir: string): ConfigError[] {
  const errors: ConfigError[] = [];
  checkModelTraits(config.traits, mappingsDir, (trait, written, problem, field) =>
    errors.push({
      file: modelPath(written, mappingsDir),
      line: problem.line,
      column: problem.column,
      path: problem.path,
      message: `${problem.message} (the ${field === 'shadow' ? 'shadow ' : ''}model of trait ${trait})`,
    }),
  );
  return errors;
}

/**
 * A configuration refused while it was being built, as errors with a file and a line: a model
 * file's own position when the model was the problem, the mappings directory otherwise.
 */
export function buildErrors(error: unknown, mappingsDir: string): ConfigError[] {
  if (error instanceof ModelFileError)
    return locateModelIssues(error.file, error.issues).map((problem) => ({
      file: error.file,
      line: problem.line,
      column: problem.column,
      path: problem.path,
      message: problem.message,
    }));
  const message = error instanceof Error ? error.message : String(error);
  return [{ file: mappingsDir, line: 1, column: 1, path: '', message }];
}

/** Locating fields means parsing the JSON again with positions: only for files of modest size. */
const MAX_LOCATE_BYTES = 1024 * 1024;
const MAX_LOCATE_DEPTH = 64;

function locateModelIssues(path: string, issues: readonly ModelIssue[]): ModelProblem[] {
  const at = (issue: ModelIssue, line = 1, column = 1): ModelProblem => ({
    line,
    column,
    path: issue.path,
    message: issue.message,
  });
  const paths = issues.map((issue) => parseIssuePath(issue.path));
  if (paths.every((segments) => segments === undefined || segments.length === 0))
    return issues.map((i) => at(i));
  if (paths.some((segments) => (segments?.length ?? 0) > MAX_LOCATE_DEPTH)) return issues.map((i) => at(i));
  const read = readRegularFile(path, MAX_LOCATE_BYTES, 'to locate model errors');
  if (!read.ok) return issues.map((i) => at(i));
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(read.text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    return issues.map((issue, index) => {
      const segments = paths[index];
      if (segments === undefined || segments.length === 0) return at(issue);
      for (let depth = segments.length; depth > 0; depth--) {
        const node = doc.getIn(segments.slice(0, depth), true);
        if (isNode(node) && node.range) {
          const position = lineCounter.linePos(node.range[0]);
          return at(issue, position.line, position.col);
        }
      }
      return at(issue);
    });
  } catch {
    return issues.map((i) => at(i));
  }
}

/** `trees[0].children[1].leaf` -> `['trees', 0, 'children', 1, 'leaf']` (the inverse of formatPath). */
export function parseIssuePath(text: string): (string | number)[] | undefined {
  const segments: (string | number)[] = [];
  const token = /\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let at = 0;
  while (at < text.length) {
    token.lastIndex = at;
    const match = token.exec(text);
    if (!match) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3] as string) as string);
    at = token.lastIndex;
  }
  return segments;
}
