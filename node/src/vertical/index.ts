export * from "./align.js";
export * from "./encoding.js";
export * from "./tables.js";
export * from "./protocol.js";
export * from "./seal.js";
export * from "./certificate.js";
