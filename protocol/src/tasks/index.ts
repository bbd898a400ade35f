// The task kinds and their shared parts; registry.ts lists every kind explicitly.
export * from "./kind.js";
export * from "./registry.js";
export * from "./stats.js";
export * from "./outsourced.js";
export * from "./federated.js";
export * from "./privacy.js";
export * from "./kmeans.js";
export * from "./linreg.js";
export * from "./logreg.js";
export * from "./pca/index.js";
export * from "./vlinreg.js";
export * from "./caps.js";
