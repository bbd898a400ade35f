import { z } from "zod";
import { defineKind, federatedReads } from "../kind.js";
import { federatedCommon } from "../shared/federated.js";
import { checkPrivacyColumns } from "../privacy.js";
import { columnList, nameString } from "../caps.js";

/**
 * Parameters shared by the federated regressions. Round r: members evaluate the gradient (and, for
 * Newton, the Hessian) of the loss on their rows at the round's weights (round 1: zeros; later:
 * the requester's last result); the requester sums them and takes one step. The task ends once
 * the step is below `tolerance` (relative to the weights) or after spec.rounds rounds.
 */
export const regressionParams = z
  .object({
    /** Feature columns, in this order. */
    features: columnList("params.features"),
    /** Target column (logreg: labels 0 or 1). */
    target: nameString("params.target"),
    /** Fit an intercept (a constant-1 feature first). */
    intercept: z.boolean().default(true),
    /** newton: w ← w − H⁻¹g (exact in one step for linreg); gd: w ← w − learningRate·g/n. */
    method: z.enum(["newton", "gd"]).default("newton"),
    learningRate: z.number().positive().default(0.1),
    /** L2 penalty λ: the loss adds λ/2·‖w‖² (intercept excluded); keeps logreg finite on separable data. */
    l2: z.number().min(0).default(0),
    tolerance: z.number().min(0).default(1e-6),
    ...federatedCommon,
  })
  .superRefine((p, ctx) => {
    if (p.features.includes(p.target)) ctx.addIssue({ code: "custom", path: ["target"], message: "params.target must not also be a feature" });
    checkPrivacyColumns(p.privacy, [...p.features, p.target], ctx);
    if (p.privacy) {
      if (p.privacy.gradientClip === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["privacy", "gradientClip"],
          message: "params.privacy.gradientClip is required for regressions: the ℓ2 norm each row's gradient is clipped to",
        });
      if (p.method !== "gd")
        ctx.addIssue({ code: "custom", path: ["method"], message: 'params.privacy needs params.method "gd": noised Newton steps (a noisy Hessian) are not supported' });
    }
  });
export type RegressionParams = z.infer<typeof regressionParams>;

/** Federated least-squares linear regression. */
export const linregParams = regressionParams;
export type LinregParams = RegressionParams;

export const regressionResult = z.looseObject({ weights: z.array(z.number()), names: z.array(z.string()), loss: z.number(), converged: z.boolean() });

/** The columns a regression reads: its features and target. */
export const regressionColumns = (p: RegressionParams): string[] => [...p.features, p.target];

/** Row-operations of a regression: the Newton Hessian is f × f per row (f = features + intercept). */
export function regressionCost(p: RegressionParams, rows: number, rounds: number): number {
  const f = p.features.length + (p.intercept ? 1 : 0);
  return rows * f * f * rounds;
}

export const linregTaskKind = defineKind({
  name: "linreg",
  family: "federated",
  summary: "least-squares linear regression by Newton or gradient rounds",
  params: linregParams,
  result: regressionResult,
  model: { link: "identity" },
  proof: { circuit: "linreg_chunk", publicInputs: ["commitment[0]", "commitment[1]", "chunkIndex", "weightsHash", "binding", "root"] },
  privacy: true,
  memberReads: federatedReads,
  cost: regressionCost,
  columns: regressionColumns,
  template: { params: { features: ["x1", "x2"], target: "y" }, rounds: 20 },
});
