import { z } from "zod";
import { defineKind, federatedReads } from "../kind.js";
import { paillierKeyParam } from "../shared/federated.js";
import { CAPS, capMessage, columnList } from "../caps.js";

/**
 * Federated principal component analysis over the union of the members' rows. Each member
 * contributes its covariance ingredients over `columns` (row count, column sums, sums of outer
 * products) through the task's aggregation backend, as stats does; the requester combines them
 * into the sample covariance (or, with `standardize`, correlation) matrix and keeps its top `k`
 * eigenvectors. One round: the rows do not depend on any earlier result.
 */
export const pcaParams = z
  .object({
    /** Columns, in this order; every referenced dataset must have them. */
    columns: columnList("params.columns").refine((c) => c.length <= CAPS.MAX_PCA_COLUMNS, {
      error: capMessage("params.columns", "MAX_PCA_COLUMNS", "use fewer columns (a contribution grows with their square)"),
    }),
    /** Principal components to return, at most one per column. */
    k: z
      .number()
      .int("params.k must be a whole number")
      .min(1, "params.k must be at least 1")
      .max(CAPS.MAX_PCA_COLUMNS, capMessage("params.k", "MAX_PCA_COLUMNS", "lower k")),
    /** Scale every column to unit sample variance first (PCA of the correlation matrix). */
    standardize: z.boolean().default(false),
    paillier: paillierKeyParam,
  })
  .superRefine((p, ctx) => {
    if (p.k > p.columns.length)
      ctx.addIssue({ code: "custom", path: ["k"], message: `params.k is ${p.k} but params.columns names ${p.columns.length}; ask for at most one component per column` });
  });
export type PcaParams = z.infer<typeof pcaParams>;

export const pcaResult = z.looseObject({
  columns: z.array(z.string()),
  /** k unit vectors over `columns`, by decreasing variance; each one's largest-magnitude entry is positive. */
  components: z.array(z.array(z.number())),
  /** Variance along each component: the eigenvalues of the sample covariance (n − 1) or correlation matrix. */
  explainedVariance: z.array(z.number()),
  /** explainedVariance over the total variance (the trace). */
  explainedVarianceRatio: z.array(z.number()),
  /** Column means over every member's rows. */
  mean: z.array(z.number()),
  /** standardize only: each column's sample standard deviation the rows were divided by. */
  scale: z.array(z.number()).optional(),
  rows: z.number().int(),
});
export type PcaResult = z.infer<typeof pcaResult>;

export const pcaTaskKind = defineKind({
  name: "pca",
  family: "federated",
  summary: "top-k principal components of columns over every member's rows (covariance through the aggregation backend)",
  params: pcaParams,
  result: pcaResult,
  // No contribution circuit: verification "offchain"/"onchain" is refused by parseTaskSpec.
  privacy: false,
  memberReads: federatedReads,
  // each row adds its d × d outer product
  cost: (p, rows, rounds) => rows * p.columns.length * p.columns.length * rounds,
  columns: (p) => p.columns,
  template: { params: { columns: ["x", "y", "z"], k: 2 } },
});
