import { z } from "zod";
import { defineKind } from "../kind.js";
import { CAPS, capMessage } from "../caps.js";
import { outsourcedCommon, outsourcedKindBase } from "../shared/outsourced.js";

/** Outsourced k-nearest-neighbour classification (Rory's SKNN) of the owner's encrypted queries. */
export const sknnParams = z.object({
  ...outsourcedCommon,
  /** Number of query rows (their values travel encrypted). */
  queries: z
    .number()
    .int()
    .min(1, "params.queries must be at least 1")
    .max(CAPS.MAX_QUERIES, capMessage("params.queries", "MAX_QUERIES", "split the queries over several tasks")),
});
export type SknnParams = z.infer<typeof sknnParams>;

export const sknnTaskKind = defineKind({
  name: "sknn",
  summary: "k-nearest-neighbour labels of encrypted queries",
  params: sknnParams,
  ...outsourcedKindBase,
  template: { params: { variant: "ckks", columns: ["x", "y"], labelColumn: "label", query: [[0, 0]] } },
});
