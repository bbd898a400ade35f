import { z } from "zod";
import { defineKind } from "../kind.js";
import { outsourcedCommon, outsourcedKindBase } from "../shared/outsourced.js";

/** Outsourced density-based clustering (Rory's DBSNNC); the threshold stays with the owner. */
export const dbsnncParams = z.object({ ...outsourcedCommon });
export type DbsnncParams = z.infer<typeof dbsnncParams>;

export const dbsnncTaskKind = defineKind({
  name: "dbsnnc",
  summary: "density-based clustering over encrypted rows",
  params: dbsnncParams,
  ...outsourcedKindBase,
  template: { params: { variant: "ckks", columns: ["x", "y"], threshold: 1 } },
});
