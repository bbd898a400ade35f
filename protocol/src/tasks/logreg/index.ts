import { defineKind, federatedReads } from "../kind.js";
import { regressionColumns, regressionCost, regressionParams, regressionResult, type RegressionParams } from "../linreg/index.js";

/**
 * Federated logistic regression (labels 0/1). Members evaluate the exact sigmoid on their own
 * plaintext rows (no approximation is needed outside a circuit); Newton rounds are IRLS.
 */
export const logregParams = regressionParams;
export type LogregParams = RegressionParams;

export const logregTaskKind = defineKind({
  name: "logreg",
  family: "federated",
  summary: "logistic regression (labels 0/1) by Newton (IRLS) or gradient rounds",
  params: logregParams,
  result: regressionResult,
  model: { link: "logistic" },
  proof: { circuit: "logreg_chunk", publicInputs: ["commitment[0]", "commitment[1]", "chunkIndex", "weightsHash", "binding", "root"] },
  privacy: true,
  memberReads: federatedReads,
  cost: regressionCost,
  columns: regressionColumns,
  template: { params: { features: ["x1", "x2"], target: "y" }, rounds: 20 },
});
