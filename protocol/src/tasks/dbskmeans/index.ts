import { defineKind } from "../kind.js";
import { outsourcedKindBase } from "../shared/outsourced.js";
import { skmeansParams } from "../skmeans/index.js";

/** DBSKMeans: legacy FDH-OPE-encrypts the distance matrix; over CKKS it runs SKMeans's message flow (and takes its params). */
export const dbskmeansParams = skmeansParams;

export const dbskmeansTaskKind = defineKind({
  name: "dbskmeans",
  summary: "k-means over an encrypted distance matrix (SKMeans's flow over CKKS)",
  params: dbskmeansParams,
  ...outsourcedKindBase,
  template: { params: { variant: "ckks", columns: ["x", "y"], k: 3, initialIndices: [0, 1, 2], maxIterations: 10 } },
});
