/**
 * Π^mod (CGGMP21, §C.1 / fig. 16): N is a Paillier–Blum modulus, i.e. N = p·q with primes
 * p ≡ q ≡ 3 (mod 4) and gcd(N, φ(N)) = 1, so that Paillier over N is well formed. And the proof
 * that a fixed randomness base h (the DJN option of paillierKeyPair in node/src/crypto/paillier.ts) is an N-th
 * residue, so that encryptions with randomness h^a still decrypt correctly.
 *
 * Π^mod, m = 80 rounds (soundness error 2^−80, as CGGMP21):
 *   prover sends w with Jacobi(w, N) = −1 (a non-residue mod exactly one of p, q);
 *   challenges y_1..y_m ∈ Z_N* from the transcript (N, w, binding);
 *   for each y_i the prover picks a_i, b_i ∈ {0, 1} so that y'_i = (−1)^a_i·w^b_i·y_i is a square
 *   (−1 is a non-residue mod both Blum primes and w mod one of them, so exactly one choice works)
 *   and sends x_i = y'_i^(1/4) mod N (the square root of y'_i that is itself a square) and
 *   z_i = y_i^(N⁻¹ mod φ(N)) mod N;
 *   the verifier checks N odd and composite, Jacobi(w, N) = −1, z_i^N ≡ y_i and x_i^4 ≡ y'_i (mod N).
 * z_i^N ≡ y_i for random y_i shows x ↦ x^N is onto Z_N*, i.e. gcd(N, φ(N)) = 1; fourth roots of
 * one of ±y, ±wy for random y show N is a Blum integer with two prime factors (more factors or a
 * non-Blum factor make that fail with probability ≥ 1/2 per round).
 *
 * The base-residue proof is the N-th-root Σ-protocol (nthroot.ts) on u = h, transcript
 * "base-residue": N, h, binding. It does not show that h generates a large subgroup: a key holder
 * who picks h of small order only weakens the hiding of encryptions made to its own key.
 */
import { checkPrimeSync } from "node:crypto";
import { modPow } from "../bigmath.js";
import type { PaillierPublicKey, PaillierSecretKey } from "../paillier.js";
import { isBlumKey } from "../paillier.js";
import { proveNthRoot, verifyNthRoot, type NthRootProof } from "./nthroot.js";
import { Transcript, type Binding } from "./transcript.js";
import { byteLen, crt, hex, isUnit, jacobi, mod, nthRoot, parseHex, parseObject, powN, randomUnit } from "./util.js";

/** Rounds of Π^mod. */
export const MOD_ROUNDS = 80;

export interface ModRound {
  x: bigint;
  a: boolean;
  b: boolean;
  z: bigint;
}

export interface ModProof {
  w: bigint;
  rounds: ModRound[];
}

const MOD_KIND = "paillier-blum-modulus";

function modTranscript(n: bigint, w: bigint, binding: Binding): Transcript {
  return new Transcript("pi-mod").int("N", n).int("w", w).binding(binding);
}

function challenges(t: Transcript, n: bigint): bigint[] {
  return Array.from({ length: MOD_ROUNDS }, (_, i) => t.challengeUnit(`y${i}`, n));
}

/** Legendre symbol (y / p) for an odd prime p, as ±1. */
function isSquareMod(y: bigint, p: bigint): boolean {
  return modPow(mod(y, p), (p - 1n) / 2n, p) === 1n;
}

export function proveModulus(sk: PaillierSecretKey, binding: Binding): ModProof {
  if (!isBlumKey(sk)) throw new Error("Π^mod: the key's primes are not Blum primes (p ≡ q ≡ 3 mod 4); generate it with paillierKeygen(bits, { blum: true })");
  const { p, q, pInvQ } = sk;
  const n = sk.publicKey.n;
  let w = randomUnit(n);
  while (jacobi(w, n) !== -1) w = randomUnit(n);
  const ys = challenges(modTranscript(n, w, binding), n);
  // Fourth root of a square y' mod a Blum prime: y'^(((p+1)/4)^2 mod (p−1)).
  const ep = ((p + 1n) / 4n) ** 2n % (p - 1n);
  const eq = ((q + 1n) / 4n) ** 2n % (q - 1n);
  const rounds = ys.map((y): ModRound => {
    for (const a of [false, true]) {
      for (const b of [false, true]) {
        let yy = y;
        if (a) yy = n - yy;
        if (b) yy = (yy * w) % n;
        if (!isSquareMod(yy, p) || !isSquareMod(yy, q)) continue;
        const x = crt(modPow(yy % p, ep, p), modPow(yy % q, eq, q), p, q, pInvQ);
        return { x, a, b, z: nthRoot(sk, y) };
      }
    }
    throw new Error("Π^mod: no square among ±y, ±wy (the key is not a Paillier–Blum modulus)");
  });
  return { w, rounds };
}

export function verifyModulus(pk: PaillierPublicKey, binding: Binding, proof: ModProof): boolean {
  const n = pk.n;
  if (n % 2n === 0n || n < 15n || checkPrimeSync(n, { checks: 32 })) return false;
  if (!proof || !Array.isArray(proof.rounds) || proof.rounds.length !== MOD_ROUNDS) return false;
  if (typeof proof.w !== "bigint" || !isUnit(proof.w, n) || jacobi(proof.w, n) !== -1) return false;
  let ys: bigint[];
  try {
    ys = challenges(modTranscript(n, proof.w, binding), n);
  } catch {
    return false;
  }
  return proof.rounds.every((r, i) => {
    const y = ys[i];
    if (typeof r.x !== "bigint" || typeof r.z !== "bigint" || typeof r.a !== "boolean" || typeof r.b !== "boolean") return false;
    if (!isUnit(r.x, n) || !isUnit(r.z, n)) return false;
    if (modPow(r.z, n, n) !== y) return false;
    let yy = y;
    if (r.a) yy = n - yy;
    if (r.b) yy = (yy * proof.w) % n;
    return modPow(r.x, 4n, n) === yy;
  });
}

export function serializeModProof(p: ModProof): string {
  return JSON.stringify({ v: 1, proof: MOD_KIND, w: hex(p.w), rounds: p.rounds.map((r) => [hex(r.x), r.a ? 1 : 0, r.b ? 1 : 0, hex(r.z)]) });
}

export function parseModProof(text: string): ModProof {
  const what = "Π^mod proof";
  const o = parseObject(text, MOD_KIND, what);
  if (!Array.isArray(o.rounds) || o.rounds.length !== MOD_ROUNDS) throw new Error(`${what}: field "rounds" must hold ${MOD_ROUNDS} rounds`);
  const rounds = o.rounds.map((r: unknown, i: number): ModRound => {
    if (!Array.isArray(r) || r.length !== 4 || (r[1] !== 0 && r[1] !== 1) || (r[2] !== 0 && r[2] !== 1))
      throw new Error(`${what}: rounds[${i}] must be [x hex, a 0|1, b 0|1, z hex]`);
    const f = { x: r[0], z: r[3] } as Record<string, unknown>;
    return { x: parseHex(f, "x", `${what} rounds[${i}]`), a: r[1] === 1, b: r[2] === 1, z: parseHex(f, "z", `${what} rounds[${i}]`) };
  });
  return { w: parseHex(o, "w", what), rounds };
}

/** Raw size in bytes: w, and per round x, z and the two bits. */
export function modProofBytes(pk: PaillierPublicKey): number {
  return byteLen(pk.n) * (1 + 2 * MOD_ROUNDS) + MOD_ROUNDS / 4;
}

// ---------- fixed randomness base ----------

export type BaseResidueProof = NthRootProof;
const BASE_KIND = "paillier-base-residue";

function baseTranscript(pk: PaillierPublicKey, h: bigint, binding: Binding): Transcript {
  return new Transcript("base-residue").int("N", pk.n).int("h", h).binding(binding);
}

/** Proves h (e.g. the DJN base h_s = (−x²)^N) is an N-th residue mod N²; refuses one that is not. */
export function proveBaseResidue(sk: PaillierSecretKey, h: bigint, binding: Binding): BaseResidueProof {
  const pk = sk.publicKey;
  if (typeof h !== "bigint" || h <= 1n || h >= pk.n2) throw new Error("base-residue proof: h must be in (1, N²)");
  const rho = nthRoot(sk, h);
  if (powN(pk, rho, sk) !== h) throw new Error("base-residue proof: h is not an N-th residue mod N² (it would make ciphertexts that do not decrypt)");
  return proveNthRoot(pk, rho, baseTranscript(pk, h, binding), sk);
}

export function verifyBaseResidue(pk: PaillierPublicKey, h: bigint, binding: Binding, proof: BaseResidueProof): boolean {
  if (typeof h !== "bigint" || h <= 1n || h >= pk.n2) return false;
  let t: Transcript;
  try {
    t = baseTranscript(pk, h, binding);
  } catch {
    return false;
  }
  return verifyNthRoot(pk, h, proof, t);
}

export function serializeBaseResidueProof(p: BaseResidueProof): string {
  return JSON.stringify({ v: 1, proof: BASE_KIND, e: hex(p.e), z: hex(p.z) });
}

export function parseBaseResidueProof(text: string): BaseResidueProof {
  const o = parseObject(text, BASE_KIND, "base-residue proof");
  return { e: parseHex(o, "e", "base-residue proof"), z: parseHex(o, "z", "base-residue proof") };
}
