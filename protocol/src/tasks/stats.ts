import { z } from "zod";
import { defineTaskKind } from "./registry.js";
import { federatedCommon } from "./federated.js";
import { checkPrivacyColumns } from "./privacy.js";

/** Federated column statistics over the union of the members' rows. */
export const statsParams = z.object({
  /** Column names to summarise; every referenced dataset must have them. */
  columns: z.array(z.string().min(1)).min(1, "params.columns must name at least one column"),
  ...federatedCommon,
}).superRefine((p, ctx) => checkPrivacyColumns(p.privacy, p.columns, ctx));
export type StatsParams = z.infer<typeof statsParams>;

defineTaskKind("stats", statsParams);
