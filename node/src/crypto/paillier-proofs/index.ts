/**
 * Zero-knowledge proofs for Paillier steps (issue 16), non-interactive by Fiat–Shamir, each bound
 * to a caller's round binding and to every public value. See README.md for statements,
 * parameters and measured costs.
 */
export { Transcript, bindingBytes, type Binding } from "./transcript.js";
export { NTH_ROOT_CHALLENGE_BITS, type NthRootProof } from "./nthroot.js";
export * from "./decryption.js";
export * from "./modulus.js";
export * from "./equality.js";
export * from "./factors.js";
export * from "./certificate.js";
