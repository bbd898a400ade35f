import { z } from "zod";
import { defineKind, federatedReads } from "../kind.js";
import { federatedCommon } from "../shared/federated.js";
import { checkPrivacyColumns } from "../privacy.js";
import { columnList } from "../caps.js";

/** Federated column statistics over the union of the members' rows. */
export const statsParams = z
  .object({
    /** Column names to summarise; every referenced dataset must have them. */
    columns: columnList("params.columns"),
    ...federatedCommon,
  })
  .superRefine((p, ctx) => checkPrivacyColumns(p.privacy, p.columns, ctx));
export type StatsParams = z.infer<typeof statsParams>;

/** Aggregates of one column (min and max only with plain aggregation: they are not sums). */
const num = z.union([z.number(), z.nan()]); // a column over no rows has no mean
const columnStats = z.looseObject({ count: z.number(), sum: z.number(), mean: num, variance: num, min: num.optional(), max: num.optional() });
export const statsResult = z.looseObject({ columns: z.record(z.string(), columnStats), members: z.number().int() });

export const statsTaskKind = defineKind({
  name: "stats",
  family: "federated",
  summary: "count, sum, mean, variance (and min/max with plain aggregation) of columns over every member's rows",
  params: statsParams,
  result: statsResult,
  proof: { circuit: "stats_chunk", publicInputs: ["commitment[0]", "commitment[1]", "extrema", "chunkIndex", "binding", "root"] },
  privacy: true,
  memberReads: federatedReads,
  cost: (p, rows, rounds) => rows * p.columns.length * rounds,
  columns: (p) => p.columns,
  template: { params: { columns: ["x", "y"] } },
});
