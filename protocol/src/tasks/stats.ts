import { z } from "zod";
import { defineTaskKind } from "./registry.js";
import { federatedCommon } from "./federated.js";
import { columnList } from "./caps.js";

/** Federated column statistics over the union of the members' rows. */
export const statsParams = z.object({
  /** Column names to summarise; every referenced dataset must have them. */
  columns: columnList("params.columns"),
  ...federatedCommon,
});
export type StatsParams = z.infer<typeof statsParams>;

defineTaskKind("stats", statsParams);
