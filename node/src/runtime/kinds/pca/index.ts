import { pcaTaskKind, type PcaParams } from "../../../../../protocol/src/tasks/pca/index.js";
import { kindParams, type TaskSpec } from "../../../../../protocol/src/taskspec.js";
import { federatedHandler, selectRows, type FederatedKind } from "../shared/federated.js";
import { pcaFromSums, pcaLength, pcaVector } from "./math.js";

/**
 * Federated PCA on any aggregation backend (plain, secagg, paillier), as a FederatedKind: members
 * send their covariance ingredients (./math.ts), the requester combines them. No contribution
 * circuit and no differential privacy: parseTaskSpec refuses both for pca.
 */
export const pcaFederated: FederatedKind<PcaParams> = {
  kind: pcaTaskKind.name,
  // parseTaskSpec parsed the params with the kind's schema (defaults filled in)
  parse: (spec: TaskSpec) => kindParams(spec, "pca"),
  columns: (p) => p.columns,
  length: (p) => pcaLength(p.columns.length),
  local: (p, _params, tables) => pcaVector(selectRows(tables, p.columns, "pca"), p.columns.length),
  finish: (p, _params, sum) => ({ result: pcaFromSums(p, sum), done: true }),
};

const handler = federatedHandler(pcaFederated);

export const pcaHandler = {
  ...handler,
  // One round computes the result from the committed rows: members read no round parameters.
  usesParams: () => false,
};
