export * from "./field.js";
export * from "./shamir.js";
export * from "./messages.js";
export { SecAggParty, checkParams, type SecAggParams, type PartyState } from "./party.js";
export { SecAggServer, type SecAggResult } from "./server.js";
