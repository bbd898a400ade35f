// The task kinds and their shared parts; registry.ts lists every kind explicitly.
export * from "./kind.js";
export * from "./registry.js";
export * from "./stats/index.js";
export * from "./shared/outsourced.js";
export * from "./skmeans/index.js";
export * from "./dbskmeans/index.js";
export * from "./sknn/index.js";
export * from "./dbsnnc/index.js";
export * from "./shared/federated.js";
export * from "./privacy.js";
export * from "./kmeans/index.js";
export * from "./linreg/index.js";
export * from "./logreg/index.js";
export * from "./pca/index.js";
export * from "./vlinreg/index.js";
export * from "./caps.js";
