import { z } from "zod";

/**
 * Differential privacy asked for by a federated task (`params.privacy`). Members clip every value
 * to the declared bounds, so one row moves the contribution vector by a known amount (the
 * sensitivity), and add discrete Gaussian noise to their fixed-point integers before aggregation;
 * the node accounts the release in zCDP against the dataset's budget. The privacy loss is for the
 * whole task: `rho` (zCDP), or `epsilon` with `delta` (converted to the largest ρ whose (ε, δ)
 * equivalent stays within them), split evenly over spec.rounds releases.
 */
const bound = z
  .tuple([z.number(), z.number()], { error: "each bound must be [lo, hi], two finite numbers" })
  .refine(([lo, hi]) => lo < hi, { error: "a bound [lo, hi] needs lo < hi" })
  .refine(([lo, hi]) => Math.max(Math.abs(lo), Math.abs(hi)) <= 1e9, { error: "bounds must stay within ±1e9 (rescale the column)" });

export const privacyParam = z
  .object({
    /** zCDP ρ of the whole task (every round together). */
    rho: z.number().positive("params.privacy.rho must be > 0").optional(),
    /** (ε, δ) of the whole task; give both, or rho instead. */
    epsilon: z.number().positive("params.privacy.epsilon must be > 0").optional(),
    delta: z.number().gt(0, "params.privacy.delta must lie in (0, 1)").lt(1, "params.privacy.delta must lie in (0, 1)").optional(),
    /** Clipping bounds per column the task reads: values are clamped to [lo, hi] before anything is summed. */
    bounds: z.record(z.string().min(1), bound),
    /** linreg/logreg: each row's gradient is scaled down to at most this ℓ2 norm. */
    gradientClip: z.number().positive("params.privacy.gradientClip must be > 0").optional(),
  })
  .superRefine((p, ctx) => {
    const eps = p.epsilon !== undefined || p.delta !== undefined;
    if (p.rho !== undefined && eps) ctx.addIssue({ code: "custom", path: ["rho"], message: "params.privacy takes rho or epsilon with delta, not both" });
    else if (p.rho === undefined && !(p.epsilon !== undefined && p.delta !== undefined))
      ctx.addIssue({
        code: "custom",
        path: [p.epsilon === undefined ? "epsilon" : "delta"],
        message: "params.privacy needs rho, or epsilon together with delta (e.g. {epsilon: 1, delta: 1e-6})",
      });
  });
export type PrivacyParam = z.infer<typeof privacyParam>;

/** Adds an issue for every column the task reads that has no clipping bound. */
export function checkPrivacyColumns(privacy: PrivacyParam | undefined, columns: readonly string[], ctx: z.RefinementCtx): void {
  if (!privacy) return;
  const missing = columns.filter((c) => !(c in privacy.bounds));
  if (missing.length)
    ctx.addIssue({ code: "custom", path: ["privacy", "bounds"], message: `params.privacy.bounds needs [lo, hi] for every column the task reads; missing: ${missing.join(", ")}` });
}
