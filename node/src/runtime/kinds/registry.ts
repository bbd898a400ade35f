import type { TaskKindHandler } from "../handler.js";
import { statsHandler } from "./stats.js";
import { kmeansHandler } from "./kmeans.js";
import { linregHandler } from "./linreg.js";
import { logregHandler } from "./logreg.js";
import { pcaHandler } from "./pca/index.js";
import { skmeansHandler, dbskmeansHandler } from "./skmeans.js";
import { sknnHandler } from "./sknn.js";
import { dbsnncHandler } from "./dbsnnc.js";
import { vlinregHandler } from "./vlinreg.js";

/**
 * The node-side part of every kind in protocol/src/tasks/registry.ts (TASK_KINDS), one line each:
 * the member and requester handlers the runtime calls. test/node/kinds-registry.test.ts checks
 * that this list covers exactly the protocol's kinds, each with the backends its family uses.
 */
export const NODE_KINDS: readonly TaskKindHandler[] = [
  statsHandler,
  kmeansHandler,
  linregHandler,
  logregHandler,
  pcaHandler,
  skmeansHandler,
  dbskmeansHandler,
  sknnHandler,
  dbsnncHandler,
  vlinregHandler,
];
