/**
 * Paillier–Pedersen plaintext equality: a member shows that its packed Paillier ciphertexts
 * C_j = (1+N)^X_j·ρ_j^N mod N² hold the same integer vector v that its Pedersen commitment
 * P = Σ_i s_i·G_{i+1} + r·H on Baby Jubjub (protocol/src/pedersen.ts) commits to.
 *
 * Signed values. v_i are signed integers (fixed point, as the aggregation and circuit codecs
 * produce them). Each side stores them offset so that every stored number is non-negative:
 *   Pedersen (sum of K chunk commitments of `bits` bits each): s_i = v_i + K·2^(bits−1) ∈ [0, K·2^bits)
 *   Paillier (pack() of paillier.ts): slot t of ciphertext j holds v_(jS+t) + 2^(valueBits−1), so
 *   X_j = Σ_t 2^(w·t)·(v_(jS+t) + 2^(valueBits−1)), w = layout.slotBits, S = layout.slots.
 * The verifier moves the public difference of offsets onto the ciphertexts,
 * C'_j = C_j·(1+N)^−Σ_t 2^(wt)(2^(valueBits−1) − K·2^(bits−1)), so both sides hold the same
 * non-negative integers s_i < 2^B, B = bitLength(K·2^bits − 1).
 *
 * Σ-protocol (one repetition; witnesses s_i, r, ρ_j):
 *   prover   α_i uniform in [0, 2^(B+k+40)), β uniform mod ℓ, μ_j uniform in Z_N*;
 *            A_P = Σ α_i·G_{i+1} + β·H,  A_C,j = (1+N)^(Σ_t 2^(wt)·α_(jS+t))·μ_j^N mod N²
 *   verifier e uniform in [0, 2^k)
 *   prover   z_i = α_i + e·s_i over the integers, z_β = β + e·r mod ℓ, ν_j = μ_j·ρ_j^e mod N
 *   verifier 0 ≤ z_i < 2^(B+k+40) + 2^(B+k), Σ z_i·G_{i+1} + z_β·H = A_P + e·P,
 *            (1+N)^(Σ_t 2^(wt)·z_(jS+t))·ν_j^N ≡ A_C,j·C'_j^e (mod N²)
 * Sent compactly: (e, z, z_β, ν); the verifier recomputes A_P and A_C,j and checks the challenge.
 *
 * Why no auxiliary RSA modulus is needed: from two accepting answers to e ≠ e', Δz_i ≡ Δe·s*_i
 * (mod ℓ) where s*_i is an opening of P. When P's opening is known to lie in [0, 2^B) — the
 * contribution circuits prove exactly that range for each chunk — |Δz_i − Δe·s*_i| <
 * 2^(B+k+42) ≤ 2^250 < ℓ, so Δz_i = Δe·s*_i over the integers; the Paillier equation then gives
 * (1+N)^(Δe·(X'_j − x_j)) an N-th residue, so X'_j ≡ x_j (mod N) since gcd(Δe, N) = 1 for a
 * certified N. Hence the rule B + k + 40 + 2 ≤ 250: k = 128 for B ≤ 80; for larger B (the
 * 103–140-bit values of the stats and gradient circuits) the challenge is split into ⌈128/k⌉
 * parallel repetitions of k = 208 − B bits, all challenged by one hash, keeping 128-bit soundness.
 * ON ITS OWN (without the range of P's opening) THIS PROOF SHOWS NOTHING about equality.
 * Statistical zero knowledge: each z_i is within 2^−40 of uniform, z_β and ν_j are uniform.
 *
 * Transcript: "equality" domain, N, layout (slotBits, slots, valueBits), count, bits, K, P,
 * every ciphertext, the binding, the repetition count and k, then every A_P and A_C,j.
 */
import { babyjubjub } from "@noble/curves/misc.js";
import { pippenger } from "@noble/curves/abstract/curve.js";
import { generator, MAX_GENERATORS, SUBGROUP_ORDER, type Commitment } from "../../../../protocol/src/pedersen.js";
import { bitLength, modPow } from "../bigmath.js";
import { pack, paillierEncrypt, type PackingLayout, type PaillierPublicKey } from "../paillier.js";
import { Transcript, type Binding } from "./transcript.js";
import { byteLen, hex, isUnit, mod, parseHex, parseObject, powSigned, randomBits, randomUnit } from "./util.js";

const Point = babyjubjub.Point;
type BjjPoint = InstanceType<typeof Point>;

/** Statistical hiding slack ℓ_s: responses are within 2^−40 of uniform. */
export const EQUALITY_SLACK_BITS = 40;
/** Target soundness: 128 challenge bits in all (split over repetitions when values are wide). */
export const EQUALITY_SOUNDNESS_BITS = 128;
/** l > 2^250: B + k + slack + 2 must stay at or below this. */
const GROUP_BITS = 250;

export interface EqualityStatement {
  publicKey: PaillierPublicKey;
  /** ceil(count / layout.slots) packed ciphertexts, as pack() + paillierEncrypt make them. */
  ciphertexts: readonly bigint[];
  layout: Pick<PackingLayout, "slotBits" | "slots" | "valueBits">;
  /** The Pedersen commitment (a sum of `commitments` chunk commitments) to the same vector. */
  commitment: Commitment;
  /** Number of values. */
  count: number;
  /** Pedersen bit width of one chunk commitment (pedersenCommit's `bits`). */
  bits: number;
  /** How many chunk commitments were summed into `commitment` (default 1). */
  commitments?: number;
  binding: Binding;
}

export interface EqualityWitness {
  /** The signed integers v_i. */
  values: readonly bigint[];
  /** The commitment's blinding (Σ of the chunk blindings mod ℓ). */
  blinding: bigint;
  /** ρ_j with C_j = (1+N)^X_j·ρ_j^N mod N² (encryptPacked returns them). */
  randomness: readonly bigint[];
}

export interface EqualityRepetition {
  e: bigint;
  z: bigint[];
  zb: bigint;
  nu: bigint[];
}

export interface EqualityProof {
  reps: EqualityRepetition[];
}

interface Params {
  B: number;
  k: number;
  reps: number;
  zBound: bigint;
  alphaBits: number;
  /** Per ciphertext: the public offset correction Σ_t 2^(wt)(oP − oC). */
  shift: bigint[];
  /** Per ciphertext: the value indices it holds. */
  groups: number[][];
}

/** Repetitions and challenge bits for values below 2^B (exported for the bench and docs). */
export function equalityChallengeSplit(B: number): { k: number; reps: number } {
  const k = Math.min(EQUALITY_SOUNDNESS_BITS, GROUP_BITS - EQUALITY_SLACK_BITS - 2 - B);
  if (k < 8)
    throw new Error(
      `equality proof: committed values of ${B} bits leave no room for a challenge below the Baby Jubjub group order (at most ${GROUP_BITS - EQUALITY_SLACK_BITS - 10} bits)`,
    );
  return { k, reps: Math.ceil(EQUALITY_SOUNDNESS_BITS / k) };
}

function params(s: EqualityStatement): Params {
  const what = "equality proof";
  const { layout, count, bits } = s;
  const K = s.commitments ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > MAX_GENERATORS - 1)
    throw new Error(`${what}: count must be an integer in [1, ${MAX_GENERATORS - 1}] (one Pedersen commitment), got ${count}`);
  if (!Number.isInteger(bits) || bits < 2 || bits > 240) throw new Error(`${what}: bits must be an integer in [2, 240], got ${bits}`);
  if (!Number.isInteger(K) || K < 1) throw new Error(`${what}: commitments must be a positive integer, got ${K}`);
  if (
    !Number.isInteger(layout.slotBits) ||
    !Number.isInteger(layout.slots) ||
    !Number.isInteger(layout.valueBits) ||
    layout.slots < 1 ||
    layout.valueBits < 2 ||
    layout.slotBits < layout.valueBits
  ) {
    throw new Error(`${what}: layout must come from packingLayout (slotBits ≥ valueBits ≥ 2, slots ≥ 1)`);
  }
  if (layout.slotBits * layout.slots > s.publicKey.bits - 2)
    throw new Error(`${what}: layout does not fit this key's plaintexts (${layout.slots} × ${layout.slotBits} bits > ${s.publicKey.bits - 2})`);
  const oC = BigInt(K) << BigInt(bits - 1);
  const oP = 1n << BigInt(layout.valueBits - 1);
  if (oC > oP)
    throw new Error(
      `${what}: layout.valueBits = ${layout.valueBits} cannot hold the committed range (${K} commitment(s) of ${bits} bits need ${bitLength(oC) + 1}); choose a wider packing`,
    );
  const m = Math.ceil(count / layout.slots);
  if (!Array.isArray(s.ciphertexts) || s.ciphertexts.length !== m)
    throw new Error(`${what}: ${count} values in ${layout.slots}-slot ciphertexts need ${m} ciphertexts, got ${s.ciphertexts?.length}`);
  const B = bitLength((BigInt(K) << BigInt(bits)) - 1n);
  const { k, reps } = equalityChallengeSplit(B);
  const alphaBits = B + k + EQUALITY_SLACK_BITS;
  const groups: number[][] = [];
  const shift: bigint[] = [];
  for (let j = 0; j < m; j++) {
    const idx = Array.from({ length: Math.min(layout.slots, count - j * layout.slots) }, (_, t) => j * layout.slots + t);
    groups.push(idx);
    shift.push(idx.reduce((acc, _, t) => acc + ((oP - oC) << BigInt(layout.slotBits * t)), 0n));
  }
  return { B, k, reps, alphaBits, zBound: (1n << BigInt(alphaBits)) + (1n << BigInt(B + k)), shift, groups };
}

const gens: BjjPoint[] = [];
function gen(i: number): BjjPoint {
  return (gens[i] ??= Point.fromAffine(generator(i)));
}

function toPoint(c: Commitment, what: string): BjjPoint {
  let p: BjjPoint;
  try {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- c comes off the wire; BigInt() inside the try turns a malformed coordinate into the named error below
    p = Point.fromAffine({ x: BigInt(c.x), y: BigInt(c.y) });
    p.assertValidity();
  } catch {
    throw new Error(`${what}: not a Baby Jubjub point`);
  }
  if (!p.isTorsionFree()) throw new Error(`${what}: not in the prime-order subgroup`);
  return p;
}

/** Σ scalars_i·G_{i+1} + blind·H (scalars reduced mod ℓ). */
function commitPoint(scalars: readonly bigint[], blind: bigint): BjjPoint {
  const pts = [gen(0), ...scalars.map((_, i) => gen(i + 1))];
  return pippenger(Point, pts, [mod(blind, SUBGROUP_ORDER), ...scalars.map((x) => mod(x, SUBGROUP_ORDER))]);
}

/** Σ_t 2^(wt)·xs[idx_t]. */
function packed(xs: readonly bigint[], idx: readonly number[], slotBits: number): bigint {
  return idx.reduce((acc, i, t) => acc + (xs[i] << BigInt(slotBits * t)), 0n);
}

function transcript(s: EqualityStatement, p: Params, P: BjjPoint): Transcript {
  const a = P.toAffine();
  return new Transcript("equality")
    .int("N", s.publicKey.n)
    .ints("layout", [BigInt(s.layout.slotBits), BigInt(s.layout.slots), BigInt(s.layout.valueBits)])
    .ints("shape", [BigInt(s.count), BigInt(s.bits), BigInt(s.commitments ?? 1)])
    .ints("P", [a.x, a.y])
    .ints("C", s.ciphertexts)
    .binding(s.binding)
    .ints("split", [BigInt(p.reps), BigInt(p.k)]);
}

function shifted(pk: PaillierPublicKey, c: bigint, shift: bigint): bigint {
  return (c * mod(1n - shift * pk.n, pk.n2)) % pk.n2;
}

/** Encrypts a vector packed as pack() does, keeping each ciphertext's ρ for the proof. */
export function encryptPacked(pk: PaillierPublicKey, layout: PackingLayout, values: readonly bigint[]): { ciphertexts: bigint[]; randomness: bigint[] } {
  const ciphertexts: bigint[] = [];
  const randomness: bigint[] = [];
  for (let i = 0; i < values.length; i += layout.slots) {
    const rho = randomUnit(pk.n);
    randomness.push(rho);
    ciphertexts.push(paillierEncrypt(pk, pack(layout, values.slice(i, i + layout.slots)), modPow(rho, pk.n, pk.n2)));
  }
  return { ciphertexts, randomness };
}

export function proveEquality(s: EqualityStatement, w: EqualityWitness): EqualityProof {
  const p = params(s);
  const pk = s.publicKey;
  const K = s.commitments ?? 1;
  const oC = BigInt(K) << BigInt(s.bits - 1);
  if (w.values.length !== s.count) throw new Error(`equality proof: witness has ${w.values.length} values, the statement ${s.count}`);
  if (w.randomness.length !== s.ciphertexts.length)
    throw new Error(`equality proof: witness has ${w.randomness.length} randomness values, the statement ${s.ciphertexts.length} ciphertexts`);
  const sv = w.values.map((v, i) => {
    const x = v + oC;
    if (x < 0n || x >= 1n << BigInt(p.B) || x >= 2n * oC) throw new Error(`equality proof: value ${i} (${v}) is outside the committed range [−${oC}, ${oC})`);
    return x;
  });
  const P = toPoint(s.commitment, "equality proof: commitment");
  if (!commitPoint(sv, w.blinding).equals(P)) throw new Error("equality proof: the values and blinding do not open the commitment");
  const t = transcript(s, p, P);
  const secrets = Array.from({ length: p.reps }, () => {
    const alpha = sv.map(() => randomBits(p.alphaBits));
    const beta = mod(randomBits(256), SUBGROUP_ORDER);
    const mu = s.ciphertexts.map(() => randomUnit(pk.n));
    const AP = commitPoint(alpha, beta).toAffine();
    const AC = p.groups.map((idx, j) => (mod(1n + packed(alpha, idx, s.layout.slotBits) * pk.n, pk.n2) * modPow(mu[j], pk.n, pk.n2)) % pk.n2);
    return { alpha, beta, mu, AP, AC };
  });
  secrets.forEach((r, i) => t.ints(`AP${i}`, [r.AP.x, r.AP.y]).ints(`AC${i}`, r.AC));
  const es = secrets.map((_, i) => t.challengeBits(`e${i}`, p.k));
  return {
    reps: secrets.map((r, i) => {
      const e = es[i];
      return {
        e,
        z: r.alpha.map((a, j) => a + e * sv[j]),
        zb: mod(r.beta + e * w.blinding, SUBGROUP_ORDER),
        nu: r.mu.map((m, j) => (m * modPow(w.randomness[j], e, pk.n)) % pk.n),
      };
    }),
  };
}

/** True when the proof shows the ciphertexts and the commitment hold the same vector; false otherwise. */
export function verifyEquality(s: EqualityStatement, proof: EqualityProof): boolean {
  let p: Params;
  let P: BjjPoint;
  let t: Transcript;
  try {
    p = params(s);
    P = toPoint(s.commitment, "commitment");
    t = transcript(s, p, P);
  } catch {
    return false;
  }
  const pk = s.publicKey;
  if (!proof || !Array.isArray(proof.reps) || proof.reps.length !== p.reps) return false;
  if (s.ciphertexts.some((c) => typeof c !== "bigint" || c <= 0n || c >= pk.n2 || !isUnit(c % pk.n, pk.n))) return false;
  const Cs = s.ciphertexts.map((c, j) => shifted(pk, c, p.shift[j]));
  const eBound = 1n << BigInt(p.k);
  for (let i = 0; i < p.reps; i++) {
    const r = proof.reps[i];
    if (typeof r.e !== "bigint" || r.e < 0n || r.e >= eBound) return false;
    if (!Array.isArray(r.z) || r.z.length !== s.count || r.z.some((z) => typeof z !== "bigint" || z < 0n || z >= p.zBound)) return false;
    if (typeof r.zb !== "bigint" || r.zb < 0n || r.zb >= SUBGROUP_ORDER) return false;
    if (!Array.isArray(r.nu) || r.nu.length !== Cs.length || r.nu.some((v) => typeof v !== "bigint" || !isUnit(v, pk.n))) return false;
  }
  return checkAll(s, p, P, Cs, proof, t);
}

function checkAll(s: EqualityStatement, p: Params, P: BjjPoint, Cs: bigint[], proof: EqualityProof, t: Transcript): boolean {
  const pk = s.publicKey;
  proof.reps.forEach((r, i) => {
    const eP = r.e === 0n ? Point.ZERO : P.multiply(r.e % SUBGROUP_ORDER);
    const AP = commitPoint(r.z, r.zb).subtract(eP).toAffine();
    const AC = p.groups.map(
      (idx, j) => (((mod(1n + packed(r.z, idx, s.layout.slotBits) * pk.n, pk.n2) * modPow(r.nu[j], pk.n, pk.n2)) % pk.n2) * powSigned(Cs[j], -r.e, pk.n2)) % pk.n2,
    );
    t.ints(`AP${i}`, [AP.x, AP.y]).ints(`AC${i}`, AC);
  });
  return proof.reps.every((r, i) => t.challengeBits(`e${i}`, p.k) === r.e);
}

export function serializeEqualityProof(p: EqualityProof): string {
  return JSON.stringify({ v: 1, proof: KIND, reps: p.reps.map((r) => ({ e: hex(r.e), z: r.z.map(hex), zb: hex(r.zb), nu: r.nu.map(hex) })) });
}

const KIND = "paillier-pedersen-equality";

export function parseEqualityProof(text: string): EqualityProof {
  const what = "equality proof";
  const o = parseObject(text, KIND, what);
  if (!Array.isArray(o.reps) || o.reps.length < 1 || o.reps.length > 16) throw new Error(`${what}: field "reps" must be a list of 1–16 repetitions`);
  return {
    reps: o.reps.map((r: unknown, i: number) => {
      const w = `${what} reps[${i}]`;
      if (typeof r !== "object" || r === null) throw new Error(`${w}: not an object`);
      const x = r as Record<string, unknown>;
      if (!Array.isArray(x.z) || !Array.isArray(x.nu)) throw new Error(`${w}: fields "z" and "nu" must be lists of hex integers`);
      return {
        e: parseHex(x, "e", w),
        zb: parseHex(x, "zb", w),
        z: x.z.map((_, j) => parseHex(x.z as Record<string, unknown>, String(j), `${w} z`)),
        nu: x.nu.map((_, j) => parseHex(x.nu as Record<string, unknown>, String(j), `${w} nu`)),
      };
    }),
  };
}

/** Raw size in bytes of a proof for this statement (challenges, responses as big-endian integers). */
export function equalityProofBytes(s: EqualityStatement): number {
  const p = params(s);
  return p.reps * (Math.ceil(p.k / 8) + s.count * Math.ceil((p.alphaBits + 1) / 8) + 32 + s.ciphertexts.length * byteLen(s.publicKey.n));
}
