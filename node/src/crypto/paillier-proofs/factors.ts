/**
 * Π^fac (CGGMP21, §C.5): N0 = p·q has no small factor — both p and q exceed √N0 / 2^(ℓ+ε+1)
 * (2^767 for a 2048-bit N0, 2^255 for 1024 bits) — which the other Σ-protocols here need: their
 * challenges must be invertible mod N. It runs over a ring-Pedersen commitment (N̂, s, t):
 * commitments s^x·t^y mod N̂ that are binding while nobody knows the factors of N̂ or a relation
 * between s and t, and hiding when s is in ⟨t⟩.
 *
 * Two setups (the caller picks one; both are bound in the transcript):
 * - `publicRingPedersen()`, verifier-independent, the default: N̂ is the RSA-2048 challenge number
 *   (RSA Laboratories, 1991; unfactored, its factors said to be destroyed — the "nothing up my
 *   sleeve" RSA modulus Zerocoin and RSA accumulators use), t and s are squares of values hashed
 *   from fixed labels, so nobody knows log_t s. One Π^fac then convinces every verifier. Binding
 *   rests on factoring RSA-2048 being hard. Hiding is computational here: s need not lie in ⟨t⟩,
 *   and the part of s^p outside ⟨t⟩ can only be read by someone who knows N̂'s factors.
 * - `ringPedersenKeygen()` + Π^prm (CGGMP21 fig. 17), the paper's setting: the verifier makes its own
 *   (N̂, s = t^λ) from safe primes and proves s ∈ ⟨t⟩ (80 rounds of binary challenges); the key
 *   holder then proves Π^fac once per verifier, with statistical hiding.
 *
 * Protocol (ℓ = 128 challenge bits, ε = 128 bits of statistical slack, √N0 read as 2^⌈|N0|/2⌉):
 *   prover  α, β ← ±2^(ℓ+ε)·√N0;  μ, ν ← ±2^ℓ·N̂;  σ ← ±2^ℓ·N0·N̂;  r ← ±2^(ℓ+ε)·N0·N̂;  x, y ← ±2^(ℓ+ε)·N̂
 *           P = s^p t^μ, Q = s^q t^ν, A = s^α t^x, B = s^β t^y, T = Q^α t^r (mod N̂); sends them and σ
 *   verifier e ← ±2^ℓ
 *   prover  z1 = α + e·p, z2 = β + e·q, w1 = x + e·μ, w2 = y + e·ν, v = r + e·(σ − ν·p)
 *   verifier R = s^N0·t^σ; s^z1 t^w1 = A·P^e; s^z2 t^w2 = B·Q^e; Q^z1 t^v = T·R^e; |z1|, |z2| ≤ 2^(ℓ+ε+1)·√N0
 * Transcript: "pi-fac", N0, N̂, s, t, binding, P, Q, A, B, T, σ.
 */
import { generatePrimeSync } from "node:crypto";
import { bitLength, gcd, modPow } from "../bigmath.js";
import type { PaillierPublicKey, PaillierSecretKey } from "../paillier.js";
import { Transcript, type Binding } from "./transcript.js";
import { byteLen, hex, mod, parseHex, parseObject, powSigned, randomBits, randomSigned, randomUnit } from "./util.js";

export const FAC_L = 128;
export const FAC_EPS = 128;
export const PRM_ROUNDS = 80;

export interface RingPedersen {
  n: bigint;
  s: bigint;
  t: bigint;
}

/** RSA-2048 (RSA Factoring Challenge), decimal. */
const RSA_2048 = BigInt(
  "25195908475657893494027183240048398571429282126204032027777137836043662020707595556264018525880784" +
    "40691829064124951508218929855914917618450280848912007284499268739280728777673597141834727026189637" +
    "50149718246911650776133798590957000973304597488084284017974291006424586918171951187461215151726546" +
    "32282216869987549182422433637259085141865462043576798423387184774447920739934236584823824281198163" +
    "81501067481045166037730605620161967625613384414360383390441495263443219011465754445417842402092461" +
    "65157233507787077498171257724679629263863563732899121548314381678998850404453640235273819513786365" +
    "64391212010397122822120720357",
);

let publicAux: RingPedersen | undefined;

/** The verifier-independent ring-Pedersen setup: RSA-2048 with hashed squares s and t. */
export function publicRingPedersen(): RingPedersen {
  if (!publicAux) {
    if (bitLength(RSA_2048) !== 2048) throw new Error("ring-Pedersen: the RSA-2048 constant is corrupt");
    const h = new Transcript("ring-pedersen/rsa-2048").int("N", RSA_2048);
    const t = modPow(h.challengeUnit("t", RSA_2048), 2n, RSA_2048);
    const s = modPow(h.challengeUnit("s", RSA_2048), 2n, RSA_2048);
    publicAux = { n: RSA_2048, s, t };
  }
  return publicAux;
}

export interface RingPedersenSecret {
  params: RingPedersen;
  lambda: bigint;
  /** φ(N̂)/4 = p'·q', the order of the squares. */
  order: bigint;
}

/** A verifier's own setup: N̂ from two safe primes, t a random square, s = t^λ (λ secret). */
export function ringPedersenKeygen(bits = 2048): RingPedersenSecret {
  if (!Number.isInteger(bits) || bits < 512 || bits % 2) throw new Error(`ring-Pedersen keygen: bits must be an even integer ≥ 512, got ${bits}`);
  for (;;) {
    const p = generatePrimeSync(bits / 2, { bigint: true, safe: true });
    const q = generatePrimeSync(bits / 2, { bigint: true, safe: true });
    const n = p * q;
    if (p === q || bitLength(n) !== bits) continue;
    const order = ((p - 1n) / 2n) * ((q - 1n) / 2n);
    const tau = randomUnit(n);
    const t = modPow(tau, 2n, n);
    const lambda = mod(randomBits(bitLength(order) + 64), order);
    return { params: { n, s: modPow(t, lambda, n), t }, lambda, order };
  }
}

function checkAux(aux: RingPedersen): boolean {
  return (
    typeof aux?.n === "bigint" &&
    typeof aux.s === "bigint" &&
    typeof aux.t === "bigint" &&
    aux.n > 3n &&
    aux.n % 2n === 1n &&
    aux.s > 1n &&
    aux.s < aux.n &&
    aux.t > 1n &&
    aux.t < aux.n &&
    gcd(aux.s, aux.n) === 1n &&
    gcd(aux.t, aux.n) === 1n &&
    aux.s !== aux.t
  );
}

// ---------- Π^prm: s ∈ ⟨t⟩ ----------

export interface PrmProof {
  a: bigint[];
  z: bigint[];
}

function prmTranscript(aux: RingPedersen, binding: Binding): Transcript {
  return new Transcript("pi-prm").int("Nhat", aux.n).int("s", aux.s).int("t", aux.t).binding(binding);
}

export function provePrm(secret: RingPedersenSecret, binding: Binding): PrmProof {
  const { params: aux, lambda, order } = secret;
  const t = prmTranscript(aux, binding);
  const alphas = Array.from({ length: PRM_ROUNDS }, () => mod(randomBits(bitLength(order) + 64), order));
  const a = alphas.map((x) => modPow(aux.t, x, aux.n));
  t.ints("A", a);
  const bits = t.challengeBits("e", PRM_ROUNDS);
  const z = alphas.map((x, i) => ((bits >> BigInt(i)) & 1n ? mod(x + lambda, order) : x));
  return { a, z };
}

export function verifyPrm(aux: RingPedersen, binding: Binding, proof: PrmProof): boolean {
  if (!checkAux(aux) || !proof || !Array.isArray(proof.a) || !Array.isArray(proof.z) || proof.a.length !== PRM_ROUNDS || proof.z.length !== PRM_ROUNDS) return false;
  if (proof.a.some((x) => typeof x !== "bigint" || x <= 0n || x >= aux.n) || proof.z.some((x) => typeof x !== "bigint" || x < 0n || x >= aux.n)) return false;
  let bits: bigint;
  try {
    const t = prmTranscript(aux, binding);
    t.ints("A", proof.a);
    bits = t.challengeBits("e", PRM_ROUNDS);
  } catch {
    return false;
  }
  return proof.z.every((z, i) => modPow(aux.t, z, aux.n) === ((bits >> BigInt(i)) & 1n ? (proof.a[i] * aux.s) % aux.n : proof.a[i]));
}

// ---------- Π^fac ----------

export interface FacProof {
  P: bigint;
  Q: bigint;
  A: bigint;
  B: bigint;
  T: bigint;
  sigma: bigint;
  z1: bigint;
  z2: bigint;
  w1: bigint;
  w2: bigint;
  v: bigint;
}

function facTranscript(n0: bigint, aux: RingPedersen, binding: Binding, c: Pick<FacProof, "P" | "Q" | "A" | "B" | "T" | "sigma">): Transcript {
  return new Transcript("pi-fac").int("N0", n0).ints("aux", [aux.n, aux.s, aux.t]).binding(binding).ints("commit", [c.P, c.Q, c.A, c.B, c.T, c.sigma]);
}

function facChallenge(t: Transcript): bigint {
  return t.challengeBelow("e", (1n << BigInt(FAC_L + 1)) + 1n) - (1n << BigInt(FAC_L));
}

const rootBits = (n0: bigint) => Math.ceil(bitLength(n0) / 2);

export function proveFactors(sk: PaillierSecretKey, aux: RingPedersen, binding: Binding): FacProof {
  if (!checkAux(aux)) throw new Error("Π^fac: aux must be a ring-Pedersen setup {n, s, t} with s, t units mod n (publicRingPedersen() or a verifier's own)");
  const n0 = sk.publicKey.n;
  const { p, q } = sk;
  const N = aux.n;
  const nb = bitLength(N);
  const n0b = bitLength(n0);
  const rb = rootBits(n0);
  const com = (x: bigint, y: bigint) => (powSigned(aux.s, x, N) * powSigned(aux.t, y, N)) % N;
  const alpha = randomSigned(FAC_L + FAC_EPS + rb);
  const beta = randomSigned(FAC_L + FAC_EPS + rb);
  const mu = randomSigned(FAC_L + nb);
  const nu = randomSigned(FAC_L + nb);
  const sigma = randomSigned(FAC_L + n0b + nb);
  const r = randomSigned(FAC_L + FAC_EPS + n0b + nb);
  const x = randomSigned(FAC_L + FAC_EPS + nb);
  const y = randomSigned(FAC_L + FAC_EPS + nb);
  const P = com(p, mu);
  const Q = com(q, nu);
  const A = com(alpha, x);
  const B = com(beta, y);
  const T = (powSigned(Q, alpha, N) * powSigned(aux.t, r, N)) % N;
  const c = { P, Q, A, B, T, sigma };
  const e = facChallenge(facTranscript(n0, aux, binding, c));
  return { ...c, z1: alpha + e * p, z2: beta + e * q, w1: x + e * mu, w2: y + e * nu, v: r + e * (sigma - nu * p) };
}

export function verifyFactors(pk: PaillierPublicKey, aux: RingPedersen, binding: Binding, proof: FacProof): boolean {
  if (!checkAux(aux) || !proof) return false;
  const N = aux.n;
  const n0 = pk.n;
  const fields = [proof.P, proof.Q, proof.A, proof.B, proof.T, proof.sigma, proof.z1, proof.z2, proof.w1, proof.w2, proof.v];
  if (fields.some((x) => typeof x !== "bigint")) return false;
  if ([proof.P, proof.Q, proof.A, proof.B, proof.T].some((x) => x <= 0n || x >= N || gcd(x, N) !== 1n)) return false;
  const zBound = 1n << BigInt(FAC_L + FAC_EPS + 1 + rootBits(n0));
  if (proof.z1 > zBound || -proof.z1 > zBound || proof.z2 > zBound || -proof.z2 > zBound) return false;
  let e: bigint;
  try {
    e = facChallenge(facTranscript(n0, aux, binding, proof));
  } catch {
    return false;
  }
  const com = (x: bigint, y: bigint) => (powSigned(aux.s, x, N) * powSigned(aux.t, y, N)) % N;
  if (com(proof.z1, proof.w1) !== (proof.A * powSigned(proof.P, e, N)) % N) return false;
  if (com(proof.z2, proof.w2) !== (proof.B * powSigned(proof.Q, e, N)) % N) return false;
  const R = (modPow(aux.s, n0, N) * powSigned(aux.t, proof.sigma, N)) % N;
  return (powSigned(proof.Q, proof.z1, N) * powSigned(aux.t, proof.v, N)) % N === (proof.T * powSigned(R, e, N)) % N;
}

const FAC_KIND = "paillier-no-small-factors";
const FAC_FIELDS = ["P", "Q", "A", "B", "T", "sigma", "z1", "z2", "w1", "w2", "v"] as const;

export function serializeFacProof(p: FacProof): string {
  return JSON.stringify({ v: 1, proof: FAC_KIND, values: Object.fromEntries(FAC_FIELDS.map((f) => [f, hex(p[f])])) });
}

export function parseFacProof(text: string): FacProof {
  const o = parseObject(text, FAC_KIND, "Π^fac proof");
  const vals = o.values;
  if (typeof vals !== "object" || vals === null) throw new Error(`Π^fac proof: field "values" must be an object of hex integers (${FAC_FIELDS.join(", ")})`);
  return Object.fromEntries(FAC_FIELDS.map((f) => [f, parseHex(vals as Record<string, unknown>, f, "Π^fac proof values")])) as unknown as FacProof;
}

export function facProofBytes(p: FacProof): number {
  return FAC_FIELDS.reduce((s, f) => s + byteLen(p[f]) + 1, 0);
}

const PRM_KIND = "ring-pedersen-parameters";

export function serializePrmProof(p: PrmProof): string {
  return JSON.stringify({ v: 1, proof: PRM_KIND, a: p.a.map(hex), z: p.z.map(hex) });
}

export function parsePrmProof(text: string): PrmProof {
  const o = parseObject(text, PRM_KIND, "Π^prm proof");
  if (!Array.isArray(o.a) || !Array.isArray(o.z) || o.a.length !== PRM_ROUNDS || o.z.length !== PRM_ROUNDS)
    throw new Error(`Π^prm proof: fields "a" and "z" must each hold ${PRM_ROUNDS} hex integers`);
  const list = (xs: unknown[], f: string) => xs.map((_, i) => parseHex(xs as unknown as Record<string, unknown>, String(i), `Π^prm proof ${f}`));
  return { a: list(o.a, "a"), z: list(o.z, "z") };
}
