/**
 * Model oracle: docs/models.md, a logistic regression or an XGBoost tree dump scored over the other
 * published trait values. Independent of src/engine/models.
 */
import { traitAt } from './conditions-oracle.js';

export type ModelFile = { version?: string | number } & (
  | {
      kind: 'logistic';
      intercept: number;
      coefficients: Record<string, number>;
      features?: Record<
        string,
        { default?: number; clip?: [number, number]; log1p?: boolean; scale?: { mean: number; std: number } }
      >;
    }
  | { kind: 'trees'; objective: string; base_score: number; feature_names?: string[]; trees: TreeNode[] }
);
export interface TreeNode {
  nodeid: number;
  leaf?: number;
  split?: string;
  split_condition?: number;
  yes?: number;
  no?: number;
  missing?: number;
  children?: TreeNode[];
}

/** "numbers as they are, booleans as 1 / 0, anything else missing" (NaN and infinities too). */
function feature(values: Record<string, unknown>, name: string): number | undefined {
  const v = traitAt(values, name);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function predict(model: ModelFile, values: Record<string, unknown>): number {
  if (model.kind === 'logistic') {
    let z = model.intercept;
    for (const [name, coefficient] of Object.entries(model.coefficients)) {
      const t = model.features?.[name] ?? {};
      let x = feature(values, name);
      if (x === undefined || !Number.isFinite(x)) x = t.default ?? 0; // default, then clip, log1p, scale
      if (t.clip) x = Math.min(Math.max(x, t.clip[0]), t.clip[1]);
      if (t.log1p) x = Math.log1p(Math.max(x, 0));
      if (t.scale) x = (x - t.scale.mean) / t.scale.std;
      z += coefficient * x;
    }
    return sigmoid(z);
  }
  let sum = 0;
  for (const tree of model.trees) {
    let node = tree;
    while (node.leaf === undefined) {
      let name = node.split as string;
      const index = /^f?(\d+)$/.exec(name)?.[1];
      if (index !== undefined && model.feature_names) name = model.feature_names[Number(index)] as string;
      const x = feature(values, name);
      // 32-bit comparison: value < split_condition goes to `yes`, others to `no`, missing to `missing`.
      const next =
        x === undefined
          ? node.missing
          : Math.fround(x) < Math.fround(node.split_condition as number)
            ? node.yes
            : node.no;
      node = (node.children ?? []).find((child) => child.nodeid === next) as TreeNode;
    }
    sum += node.leaf;
  }
  if (model.objective === 'binary:logitraw') return model.base_score + sum;
  return sigmoid(Math.log(model.base_score / (1 - model.base_score)) + sum);
}
