import type { TaskKindHandler } from "../handler.js";
import { statsHandler } from "./stats/index.js";
import { kmeansHandler } from "./kmeans/index.js";
import { linregHandler } from "./linreg/index.js";
import { logregHandler } from "./logreg/index.js";
import { pcaHandler } from "./pca/index.js";
import { skmeansHandler } from "./skmeans/index.js";
import { dbskmeansHandler } from "./dbskmeans/index.js";
import { sknnHandler } from "./sknn/index.js";
import { dbsnncHandler } from "./dbsnnc/index.js";
import { vlinregHandler } from "./vlinreg/index.js";

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
