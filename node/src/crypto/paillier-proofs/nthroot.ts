/**
 * Knowledge of an N-th root mod N²: the Σ-protocol under the decryption proof and the proof that a
 * fixed randomness base is an N-th residue.
 *
 *   statement u ∈ Z_N²*, witness ρ with ρ^N ≡ u (mod N²)
 *   prover   a = r^N mod N² (r uniform in Z_N*)
 *   verifier e uniform in [0, 2^128)
 *   prover   z = r·ρ^e mod N;  verifier checks z^N ≡ a·u^e (mod N²)
 *
 * Sent compactly as (e, z): the verifier recomputes a = z^N·u^−e and checks that the transcript
 * gives back e. Special soundness: two answers z, z' to e ≠ e' give (z/z')^N = u^(e−e'), and an
 * N-th root of u follows by extended Euclid on (e − e', N) whenever gcd(e − e', N) = 1, which
 * holds when N has no prime factor below 2^128 (what Π^fac certifies). Zero knowledge (honest
 * verifier, hence Fiat–Shamir): z is uniform in Z_N* whatever ρ is, and a is determined by (e, z).
 */
import { modInv, modPow } from "../bigmath.js";
import type { PaillierPublicKey, PaillierSecretKey } from "../paillier.js";
import type { Transcript } from "./transcript.js";
import { isUnit, powN, randomUnit } from "./util.js";

/** Challenge length: soundness error 2^−128 per proof. */
export const NTH_ROOT_CHALLENGE_BITS = 128;

export interface NthRootProof {
  e: bigint;
  z: bigint;
}

/**
 * `t` already holds the statement (N, u and whatever makes u, the binding); `sk` only makes the
 * commitment cheaper (CRT).
 */
export function proveNthRoot(pk: PaillierPublicKey, rho: bigint, t: Transcript, sk?: PaillierSecretKey): NthRootProof {
  const r = randomUnit(pk.n);
  const a = powN(pk, r, sk);
  t.int("a", a);
  const e = t.challengeBits("e", NTH_ROOT_CHALLENGE_BITS);
  return { e, z: (r * modPow(rho, e, pk.n)) % pk.n };
}

export function verifyNthRoot(pk: PaillierPublicKey, u: bigint, proof: NthRootProof, t: Transcript): boolean {
  const { e, z } = proof;
  if (typeof e !== "bigint" || typeof z !== "bigint") return false;
  if (e < 0n || e >= 1n << BigInt(NTH_ROOT_CHALLENGE_BITS)) return false;
  if (!isUnit(z, pk.n) || !isUnit(u % pk.n, pk.n) || u <= 0n || u >= pk.n2) return false;
  const a = (modPow(z, pk.n, pk.n2) * modPow(modInv(u, pk.n2), e, pk.n2)) % pk.n2;
  t.int("a", a);
  return t.challengeBits("e", NTH_ROOT_CHALLENGE_BITS) === e;
}
