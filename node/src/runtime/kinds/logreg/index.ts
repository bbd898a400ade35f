import { kindParams } from "../../../../../protocol/src/taskspec.js";
import { federatedHandler } from "../shared/federated.js";
import { provenLogreg, regressionKind, type Link } from "../linreg/index.js";

/**
 * Logistic link with the exact sigmoid: each member evaluates it on its own plaintext rows, so no
 * approximation is needed (the circuits use a piecewise approximation only inside proofs).
 * Loss −[y log σ + (1−y) log(1−σ)] in the stable form log(1+e^z) − y·z.
 */
export const logisticLink: Link = (z, y) => {
  if (y !== 0 && y !== 1) throw new Error(`logreg: labels must be 0 or 1, found ${y}; recode the target column`);
  const s = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
  const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  return [softplus - y * z, s - y, s * (1 - s)];
};

export const logregKind = regressionKind("logreg", (spec) => kindParams(spec, "logreg"), logisticLink, provenLogreg);
export const logregHandler = federatedHandler(logregKind);
