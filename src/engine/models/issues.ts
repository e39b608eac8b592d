import type { z } from 'zod';

/** One problem in a model file: `path` as written in messages (`trees[0].children[1].leaf`). */
export interface ModelIssue {
  path: string;
  message: string;
}

export type IssuePath = readonly PropertyKey[];

/** `['trees', 0, 'children', 1, 'leaf']` -> `trees[0].children[1].leaf`; odd keys are quoted. */
export function formatPath(path: IssuePath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) {
      text += text === '' ? segment : `.${segment}`;
    } else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

export function issueAt(path: IssuePath, message: string): ModelIssue {
  return { path: formatPath(path), message };
}

/** `models/p.json: trees[0].leaf: must be a number`, or `models/p.json: message` at the root. */
export function formatModelIssue(file: string, issue: ModelIssue): string {
  return issue.path === '' ? `${file}: ${issue.message}` : `${file}: ${issue.path}: ${issue.message}`;
}

/**
 * Zod issues as model issues, one per invalid field. A failed union over objects (a tree node that
 * is neither a valid leaf nor a valid split) is replaced by the errors of the branch the node meant:
 * the leaf (branch 0) when it has a `leaf` key, the split (branch 1) otherwise.
 */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ModelIssue[] {
  return issues.flatMap((issue) => fromZodIssue(issue, [], input));
}

function fromZodIssue(issue: z.core.$ZodIssue, prefix: IssuePath, input: unknown): ModelIssue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => issueAt([...path, key], 'is not a known field'));
  }
  if (issue.code === 'invalid_union') {
    const branch = unionBranch(issue.errors, valueAt(input, path));
    if (branch) return branch.flatMap((inner) => fromZodIssue(inner, path, input));
  }
  return [issueAt(path, issue.message)];
}

function unionBranch(
  branches: readonly (readonly z.core.$ZodIssue[])[],
  value: unknown,
): readonly z.core.$ZodIssue[] | undefined {
  if (branches.length !== 2 || !isRecord(value)) return undefined;
  const chosen = branches['leaf' in value ? 0 : 1];
  // Field errors only: a branch failing on the value itself (wrong type) says less than the union.
  return chosen && chosen.length > 0 && chosen.every((inner) => inner.path.length > 0) ? chosen : undefined;
}

function valueAt(input: unknown, path: IssuePath): unknown {
  let value = input;
  for (const segment of path) {
    if (!isRecord(value) && !Array.isArray(value)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
