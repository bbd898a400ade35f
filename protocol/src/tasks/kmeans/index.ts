import { z } from "zod";
import { defineKind, federatedReads } from "../kind.js";
import { federatedCommon } from "../shared/federated.js";
import { checkPrivacyColumns } from "../privacy.js";
import { CAPS, capMessage, columnList } from "../caps.js";

/**
 * Federated k-means (Lloyd) over the union of the members' rows. Round r: every member assigns its
 * rows to the nearest of the round's centroids (round 1: `initial`; later: the requester's last
 * result) and contributes per-cluster counts and coordinate sums; the requester divides them into
 * new centroids. The task ends when no centroid moved more than `tolerance` (Euclidean) or after
 * spec.rounds rounds.
 */
export const kmeansParams = z
  .object({
    /** Feature columns, in this order; every referenced dataset must have them. */
    columns: columnList("params.columns"),
    /** Initial centroids, one per cluster (k = initial.length), each with one value per column. */
    initial: z
      .array(
        z
          .array(z.number())
          .min(1)
          .max(CAPS.MAX_COLUMNS, capMessage("each centroid", "MAX_COLUMNS", "use fewer columns")),
      )
      .min(1, "params.initial must list at least one centroid")
      .max(CAPS.MAX_CLUSTERS, capMessage("params.initial (k centroids)", "MAX_CLUSTERS", "lower k")),
    /** Stop once every centroid moved at most this far in a round. */
    tolerance: z.number().min(0).default(1e-4),
    ...federatedCommon,
  })
  .superRefine((p, ctx) => {
    checkPrivacyColumns(p.privacy, p.columns, ctx);
    p.initial.forEach((c, i) => {
      if (c.length !== p.columns.length)
        ctx.addIssue({ code: "custom", path: ["initial", i], message: `params.initial[${i}] has ${c.length} values; give one per column (${p.columns.length})` });
    });
  });
export type KmeansParams = z.infer<typeof kmeansParams>;

export const kmeansResult = z.looseObject({ centroids: z.array(z.array(z.number())), counts: z.array(z.number()), inertia: z.number(), converged: z.boolean() });

export const kmeansTaskKind = defineKind({
  name: "kmeans",
  family: "federated",
  summary: "Lloyd k-means over every member's rows, from the given initial centroids",
  params: kmeansParams,
  result: kmeansResult,
  proof: { circuit: "kmeans_chunk", publicInputs: ["commitment[0]", "commitment[1]", "chunkIndex", "centroidsHash", "binding", "root"] },
  privacy: true,
  memberReads: federatedReads,
  // every row meets every centroid
  cost: (p, rows, rounds) => rows * p.columns.length * p.initial.length * rounds,
  columns: (p) => p.columns,
  template: {
    params: {
      columns: ["x", "y"],
      initial: [
        [0, 0],
        [1, 1],
        [2, 2],
      ],
    },
    rounds: 20,
  },
});
