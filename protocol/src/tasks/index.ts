// Importing this module registers every task kind.
export * from "./registry.js";
export * from "./stats.js";
export * from "./outsourced.js";
