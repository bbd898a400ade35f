import { z } from "zod";
import { defineKind } from "../kind.js";
import { CAPS, capMessage } from "../caps.js";
import { outsourcedCommon, outsourcedKindBase } from "../shared/outsourced.js";

/** Outsourced k-means (Rory's SKMeans): the worker iterates over the owner's encrypted rows. */
export const skmeansParams = z.object({
  ...outsourcedCommon,
  k: z
    .number()
    .int()
    .min(1, "params.k must be at least 1")
    .max(CAPS.MAX_CLUSTERS, capMessage("params.k", "MAX_CLUSTERS", "lower k")),
  maxIterations: z
    .number()
    .int()
    .min(1)
    .max(CAPS.MAX_ITERATIONS, capMessage("params.maxIterations", "MAX_ITERATIONS", "lower maxIterations"))
    .default(10),
  /** Largest centroid move (original units) at which the owner stops. */
  tolerance: z.number().min(0, "params.tolerance must be ≥ 0").default(1e-6),
  /** CKKS: who averages the members (see algorithms/ckks/skmeans.ts). */
  centroidUpdate: z.enum(["worker", "owner"]).default("worker"),
});
export type SkmeansParams = z.infer<typeof skmeansParams>;

export const skmeansTaskKind = defineKind({
  name: "skmeans",
  summary: "k-means by a worker over the owner's encrypted rows",
  params: skmeansParams,
  ...outsourcedKindBase,
  template: { params: { variant: "ckks", columns: ["x", "y"], k: 3, initialIndices: [0, 1, 2], maxIterations: 10 } },
});
