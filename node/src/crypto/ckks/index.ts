export * from "./context.js";
export * from "./session.js";
