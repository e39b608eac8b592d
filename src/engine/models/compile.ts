import { issueAt, type IssuePath, type ModelIssue } from './issues.js';
import type { LogisticModel, Model, ModelIdentity, TreeEnsemble } from './predict.js';
import type {
  LogisticModelFile,
  ModelFile,
  SplitFeature,
  TreeNode,
  TreeSplit,
  TreesModelFile,
} from './schema.js';

/**
 * Turns a schema-valid model file into its compiled form, checking what the schema cannot see:
 * transforms for features without a coefficient, tree structure (children match yes/no, missing
 * is one of them, unique node ids, depth) and split features against `feature_names`.
 */

export type CompileResult = { ok: true; model: Model } | { ok: false; issues: ModelIssue[] };

/** `hash` identifies the file's text (load.ts computes it); the version is the file's own. */
export function compileModel(file: ModelFile, hash: string): CompileResult {
  const identity: ModelIdentity = { version: file.version === undefined ? null : String(file.version), hash };
  return file.kind === 'logistic' ? compileLogistic(file, identity) : compileTrees(file, identity);
}

// ---------------------------------------------------------------------------------------------
// Logistic

function compileLogistic(file: LogisticModelFile, identity: ModelIdentity): CompileResult {
  const transforms = file.features ?? {};
  const issues = Object.keys(transforms)
    .filter((name) => !Object.hasOwn(file.coefficients, name))
    .map((name) => issueAt(['features', name], 'has no coefficient in "coefficients"'));
  if (issues.length > 0) return { ok: false, issues };

  const features = Object.keys(file.coefficients);
  const column = (pick: (name: string) => number) => Float64Array.from(features, pick);
  const transformOf = (name: string) => (Object.hasOwn(transforms, name) ? transforms[name] : undefined);
  const model: LogisticModel = {
    kind: 'logistic',
    identity,
    output: 'probability',
    intercept: file.intercept,
    features,
    coefficients: column((name) => file.coefficients[name] ?? 0),
    defaults: column((name) => transformOf(name)?.default ?? 0),
    clipMin: column((name) => transformOf(name)?.clip?.[0] ?? -Infinity),
    clipMax: column((name) => transformOf(name)?.clip?.[1] ?? Infinity),
    log1p: Uint8Array.from(features, (name) => (transformOf(name)?.log1p ? 1 : 0)),
    mean: column((name) => transformOf(name)?.scale?.mean ?? 0),
    std: column((name) => transformOf(name)?.scale?.std ?? 1),
  };
  return { ok: true, model };
}

// ---------------------------------------------------------------------------------------------
// Trees

interface FlatNodes {
  splitFeature: number[];
  threshold: number[];
  yes: number[];
  no: number[];
  missing: number[];
  leafValue: number[];
}

class TreeCompiler {
  readonly nodes: FlatNodes = {
    splitFeature: [],
    threshold: [],
    yes: [],
    no: [],
    missing: [],
    leafValue: [],
  };
  readonly features: string[] = [];
  readonly issues: ModelIssue[] = [];
  private readonly featureIndex = new Map<string, number>();
  private seenIds = new Set<number>();

  constructor(private readonly featureNames: readonly string[] | undefined) {}

  /** Adds one tree; returns the index of its root. */
  addTree(root: TreeNode, path: IssuePath): number {
    this.seenIds = new Set();
    return this.addNode(root, path, 0);
  }

  private addNode(node: TreeNode, path: IssuePath, depth: number): number {
    if (this.seenIds.has(node.nodeid)) {
      this.issues.push(issueAt([...path, 'nodeid'], `${node.nodeid} appears more than once in this tree`));
    }
    this.seenIds.add(node.nodeid);
    const index = this.nodes.leafValue.length;
    this.pushLeaf('leaf' in node ? node.leaf : 0);
    if (!('leaf' in node)) this.addSplit(node, index, path, depth);
    return index;
  }

  /** Every node starts as a leaf; addSplit then fills in a split's feature, threshold and children. */
  private pushLeaf(leafValue: number): void {
    const n = this.nodes;
    n.splitFeature.push(-1);
    n.threshold.push(0);
    n.yes.push(-1);
    n.no.push(-1);
    n.missing.push(-1);
    n.leafValue.push(leafValue);
  }

  private addSplit(node: TreeSplit, index: number, path: IssuePath, depth: number): void {
    this.checkSplit(node, path, depth);
    const n = this.nodes;
    n.splitFeature[index] = this.featureOf(node.split, [...path, 'split']);
    n.threshold[index] = node.split_condition;
    const childIndex = new Map<number, number>();
    node.children.forEach((child, i) => {
      childIndex.set(child.nodeid, this.addNode(child, [...path, 'children', i], depth + 1));
    });
    n.yes[index] = childIndex.get(node.yes) ?? -1;
    n.no[index] = childIndex.get(node.no) ?? -1;
    n.missing[index] = childIndex.get(node.missing) ?? -1;
  }

  private checkSplit(node: TreeSplit, path: IssuePath, depth: number): void {
    const ids = node.children.map((child) => child.nodeid);
    const matches = node.yes !== node.no && ids.includes(node.yes) && ids.includes(node.no);
    if (!matches) {
      const message = `yes (${node.yes}) and no (${node.no}) must be the nodeids of the two children (${ids.join(', ')})`;
      this.issues.push(issueAt([...path, 'children'], message));
    }
    if (node.missing !== node.yes && node.missing !== node.no) {
      this.issues.push(issueAt([...path, 'missing'], `must equal yes (${node.yes}) or no (${node.no})`));
    }
    if (node.depth !== undefined && node.depth !== depth) {
      this.issues.push(issueAt([...path, 'depth'], `is ${node.depth} but the node is at depth ${depth}`));
    }
  }

  private featureOf(split: SplitFeature, path: IssuePath): number {
    const name = resolveSplit(split, this.featureNames);
    if (typeof name !== 'string') {
      this.issues.push(issueAt(path, name.error));
      return -1;
    }
    let index = this.featureIndex.get(name);
    if (index === undefined) {
      index = this.features.length;
      this.features.push(name);
      this.featureIndex.set(name, index);
    }
    return index;
  }
}

/** The feature a split reads: a name, or `f<index>` / a bare index mapped through `feature_names`. */
export function resolveSplit(
  split: SplitFeature,
  names: readonly string[] | undefined,
): string | { error: string } {
  if (names === undefined) return typeof split === 'number' ? `f${split}` : split;
  if (typeof split === 'string' && names.includes(split)) return split;
  const index = typeof split === 'number' ? split : /^f(\d+)$/.exec(split)?.[1];
  if (index === undefined) return { error: `"${split}" is not one of feature_names` };
  return (
    names[Number(index)] ?? {
      error: `${JSON.stringify(split)} is past the end of feature_names (${names.length})`,
    }
  );
}

function compileTrees(file: TreesModelFile, identity: ModelIdentity): CompileResult {
  const compiler = new TreeCompiler(file.feature_names);
  const roots = file.trees.map((tree, t) => compiler.addTree(tree, ['trees', t]));
  if (compiler.issues.length > 0) return { ok: false, issues: compiler.issues };
  const n = compiler.nodes;
  const model: TreeEnsemble = {
    kind: 'trees',
    identity,
    output: file.objective === 'binary:logitraw' ? 'margin' : 'probability',
    baseMargin: file.objective === 'binary:logitraw' ? file.base_score : logit(file.base_score),
    features: compiler.features,
    roots: Int32Array.from(roots),
    splitFeature: Int32Array.from(n.splitFeature),
    threshold: Float32Array.from(n.threshold),
    yes: Int32Array.from(n.yes),
    no: Int32Array.from(n.no),
    missing: Int32Array.from(n.missing),
    leafValue: Float64Array.from(n.leafValue),
    scratch: new Float64Array(compiler.features.length),
  };
  return { ok: true, model };
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}
