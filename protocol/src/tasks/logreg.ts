import { defineTaskKind } from "./registry.js";
import { regressionParams, type RegressionParams } from "./linreg.js";

/**
 * Federated logistic regression (labels 0/1). Members evaluate the exact sigmoid on their own
 * plaintext rows (no approximation is needed outside a circuit); Newton rounds are IRLS.
 */
export const logregParams = regressionParams;
export type LogregParams = RegressionParams;

defineTaskKind("logreg", logregParams);
