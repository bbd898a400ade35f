export * from "./phases.js";
export * from "./canonical.js";
export * from "./events.js";
export * from "./signing.js";
export * from "./binding.js";
export * from "./taskspec.js";
export * from "./tasks/index.js";
