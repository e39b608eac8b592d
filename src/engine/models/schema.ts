import { z } from 'zod';
import '../../lib/zod-messages.js';

/**
 * The model-file contract (docs/models.md): what a `model: { file: ... }` trait reads. These zod
 * schemas are the single source of the file types; load.ts validates with them, then compiles.
 */

const FeatureName = z.string().min(1, 'must be a non-empty feature name');
const Finite = z.number();

/**
 * The file's own label, e.g. its training run (`"2025-06-01"`, `7`): optional, shown with every score
 * beside the file's hash (docs/models.md "Versions and shadow models").
 */
export const ModelVersion = z.union(
  [z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'), z.number()],
  { error: 'must be a string such as "2025-06-01" or a number' },
);

// ---------------------------------------------------------------------------------------------
// Logistic regression

/**
 * Optional per-feature preprocessing for a logistic model, applied in this order to the raw value:
 * missing -> `default` (else 0), then `clip`, then `log1p`, then `scale`.
 */
export const FeatureTransform = z
  .strictObject({
    /** Raw value used when the feature is missing (absent, NaN or infinite); without it, 0. */
    default: Finite.optional(),
    /** Bounds [min, max] the raw value is clamped to. */
    clip: z.tuple([Finite, Finite]).optional(),
    /** ln(1 + max(x, 0)): for counts and amounts (negative values are taken as 0). */
    log1p: z.boolean().optional(),
    /** Standardization (x - mean) / std, e.g. from scikit-learn's StandardScaler (`mean_`, `scale_`). */
    scale: z.strictObject({ mean: Finite, std: z.number().positive('must be greater than 0') }).optional(),
  })
  .refine((t) => t.clip === undefined || t.clip[0] <= t.clip[1], {
    message: 'must be [min, max] with min <= max',
    path: ['clip'],
    when: (payload) => payload.issues.every((i) => i.path?.[0] !== 'clip'),
  });
export type FeatureTransform = z.infer<typeof FeatureTransform>;

export const LogisticModelFile = z.strictObject({
  kind: z.literal('logistic'),
  description: z.string().optional(),
  version: ModelVersion.optional(),
  intercept: Finite,
  /** Feature (trait) name -> coefficient on the transformed value. */
  coefficients: z
    .record(FeatureName, Finite)
    .refine((c) => Object.keys(c).length > 0, 'must name at least one feature'),
  features: z.record(FeatureName, FeatureTransform).optional(),
});
export type LogisticModelFile = z.infer<typeof LogisticModelFile>;

// ---------------------------------------------------------------------------------------------
// Tree ensembles in the layout of XGBoost's `get_dump(dump_format="json")`

const NodeId = z.number().int('must be an integer').min(0, 'must be 0 or more');

/** `{"nodeid": 3, "leaf": 0.42}`; XGBoost adds `cover` when dumped with stats (ignored here). */
export const TreeLeaf = z.object({
  nodeid: NodeId,
  leaf: Finite,
});
export type TreeLeaf = z.infer<typeof TreeLeaf>;

/** A feature name (`"lead_score"`), `"f<index>"`, or a bare index as very old XGBoost versions wrote. */
export const SplitFeature = z.union([FeatureName, NodeId], {
  error: 'must be a feature name such as "lead_score" or "f3"',
});
export type SplitFeature = z.infer<typeof SplitFeature>;

/**
 * A numeric split: `feature < split_condition` goes to `yes`, otherwise `no`; a missing feature goes
 * to `missing`. `children` holds the two nodes whose `nodeid`s are `yes` and `no`. `depth`, `gain`
 * and `cover` may be present and are not used for prediction.
 */
export interface TreeSplit {
  nodeid: number;
  depth?: number | undefined;
  split: SplitFeature;
  split_condition: number;
  yes: number;
  no: number;
  missing: number;
  children: TreeNode[];
}
export type TreeNode = TreeLeaf | TreeSplit;

export const TreeSplit: z.ZodType<TreeSplit> = z.object({
  nodeid: NodeId,
  depth: NodeId.optional(),
  split: SplitFeature,
  split_condition: z.number({
    error: (issue) =>
      Array.isArray(issue.input)
        ? 'categorical splits are not supported (train with numeric features)'
        : issue.input === undefined
          ? 'is required (indicator splits from a feature map are not supported)'
          : 'must be a number',
  }),
  yes: NodeId,
  no: NodeId,
  missing: NodeId,
  get children() {
    return z.array(TreeNode).length(2, 'must hold exactly two nodes');
  },
});

/**
 * Leaf or split. When neither fits, load.ts reports the errors of the leaf branch (index 0) for a
 * node with a `leaf` key and those of the split branch (index 1) otherwise.
 */
export const TreeNode: z.ZodType<TreeNode> = z.union([TreeLeaf, TreeSplit], {
  error: 'must be a node: a leaf {"nodeid", "leaf"} or a split {"nodeid", "split", ..., "children"}',
});

/** Objectives whose dumps can be scored: the first two output a probability, the last the margin. */
export const TreeObjective = z.enum(['binary:logistic', 'reg:logistic', 'binary:logitraw'], {
  error: (issue) =>
    issue.input === undefined
      ? 'is required'
      : `${JSON.stringify(issue.input)} is not supported: use binary:logistic, reg:logistic or binary:logitraw`,
});
export type TreeObjective = z.infer<typeof TreeObjective>;

export const TreesModelFile = z
  .strictObject({
    kind: z.literal('trees'),
    description: z.string().optional(),
    version: ModelVersion.optional(),
    objective: TreeObjective,
    /**
     * XGBoost's `base_score`: a probability in (0, 1) for binary:logistic and reg:logistic (the
     * margin starts at logit(base_score)); for binary:logitraw it is already a margin.
     */
    base_score: Finite,
    /** Names for `f<index>` splits, in training-column order (`booster.feature_names`). */
    feature_names: z.array(FeatureName).optional(),
    trees: z.array(TreeNode).min(1, 'must hold at least one tree'),
  })
  .refine((m) => m.objective === 'binary:logitraw' || (m.base_score > 0 && m.base_score < 1), {
    message: 'must be strictly between 0 and 1 for a logistic objective (it is a probability)',
    path: ['base_score'],
    // Also report it when other fields are invalid, as long as these two parsed.
    when: (payload) =>
      payload.issues.every((i) => i.path?.[0] !== 'objective' && i.path?.[0] !== 'base_score'),
  });
export type TreesModelFile = z.infer<typeof TreesModelFile>;

// ---------------------------------------------------------------------------------------------

export const ModelFile = z.discriminatedUnion('kind', [LogisticModelFile, TreesModelFile], {
  error: (issue) => (isObject(issue.input) ? 'must be "logistic" or "trees"' : 'must be a JSON object'),
});
export type ModelFile = z.infer<typeof ModelFile>;

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
