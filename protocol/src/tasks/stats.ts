import { z } from "zod";
import { defineTaskKind } from "./registry.js";
import { federatedCommon } from "./federated.js";
import { checkPrivacyColumns } from "./privacy.js";
import { columnList } from "./caps.js";

/** Federated column statistics over the union of the members' rows. */
export const statsParams = z.object({
  /** Column names to summarise; every referenced dataset must have them. */
  columns: columnList("params.columns"),
  ...federatedCommon,
}).superRefine((p, ctx) => checkPrivacyColumns(p.privacy, p.columns, ctx));
export type StatsParams = z.infer<typeof statsParams>;

defineTaskKind("stats", statsParams);
