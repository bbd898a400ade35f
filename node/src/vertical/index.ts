export * from "./align.js";
export * from "./encoding.js";
export * from "./tables.js";
export * from "./protocol.js";
export * from "./seal.js";
export { generateKeyPair, keyPairFromPrimes, publicKeyFromN, type PaillierKeyPair, type PaillierPublicKey, type KeyOptions } from "./paillier-port.js";
