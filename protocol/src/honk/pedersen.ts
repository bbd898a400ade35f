import { sha256 } from "@noble/hashes/sha2.js";
import { Field } from "@noble/curves/abstract/modular.js";
import { weierstrass, type WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { BN254_FR } from "./poseidon2.js";

/**
 * Grumpkin, the curve native to Noir over BN254: y² = x³ − 17 over BN254's scalar field Fr, of
 * prime order BN254's base-field modulus (cofactor 1), and the Pedersen commitment the Honk
 * circuits output (circuits/noir/lib/src/pedersen.nr):
 *
 *   C = Σ (v_i + 2^(B−1)) · G_i + r · H,  B = COMMIT_BITS,
 *
 * additively homomorphic: Σ_k C_k opens to (Σ_k v_k + n·2^(B−1), Σ_k r_k). The offset turns signed
 * values into non-negative scalars below 2^B, which is what makes negative values add correctly
 * (a negative field element p − |v| is not −|v| modulo the curve order).
 */
export const GRUMPKIN_ORDER = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
export const COMMIT_BITS = 107;
export const COMMIT_OFFSET = 1n << BigInt(COMMIT_BITS - 1);
/** Generators made (and written into generators.nr); enough for k-means with k = 4 over W = 16 slots (4 + 4·16). */
export const GENERATOR_COUNT = 68;

const Fp = Field(BN254_FR);
const B = BN254_FR - 17n;

export const Grumpkin = weierstrass<bigint>({
  p: BN254_FR,
  n: GRUMPKIN_ORDER,
  h: 1n,
  a: 0n,
  b: B,
  Gx: 1n,
  Gy: 17631683881184975370165255887551781615748388533673675138860n,
});
export type GrumpkinPoint = WeierstrassPoint<bigint>;

/**
 * Try-and-increment hash to the curve: x = sha256(tag ‖ ctr) mod p for ctr = 0, 1, … until
 * x³ − 17 is a square, the even root as y. Nobody knows a discrete log between two such points.
 */
export function hashToGrumpkin(tag: string): GrumpkinPoint {
  const enc = new TextEncoder();
  for (let ctr = 0; ctr < 256; ctr++) {
    const d = sha256(enc.encode(`${tag}/${ctr}`));
    const x = Fp.create(BigInt("0x" + Buffer.from(d).toString("hex")));
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), B);
    let y: bigint;
    try {
      y = Fp.sqrt(rhs);
    } catch {
      continue;
    }
    if (y & 1n) y = Fp.neg(y);
    const pt = Grumpkin.fromAffine({ x, y });
    pt.assertValidity();
    return pt;
  }
  throw new Error(`hashToGrumpkin: no point for ${tag} in 256 tries`);
}

let gens: { G: GrumpkinPoint[]; H: GrumpkinPoint } | undefined;
export function generators(): { G: GrumpkinPoint[]; H: GrumpkinPoint } {
  if (!gens) {
    gens = {
      G: Array.from({ length: GENERATOR_COUNT }, (_, i) => hashToGrumpkin(`ciphermine/honk/pedersen/${i}`)),
      H: hashToGrumpkin("ciphermine/honk/pedersen/blinding"),
    };
  }
  return gens;
}

export interface Commitment {
  x: bigint;
  y: bigint;
}

const toSigned = (v: bigint): bigint => (v > BN254_FR / 2n ? v - BN254_FR : v);

/** A blinding as the circuit takes it: two 128-bit limbs of r < GRUMPKIN_ORDER. */
export function blindingLimbs(r: bigint): { lo: bigint; hi: bigint } {
  if (r <= 0n || r >= GRUMPKIN_ORDER) throw new Error("blinding must be in [1, Grumpkin order)");
  return { lo: r & ((1n << 128n) - 1n), hi: r >> 128n };
}

/** Offset bits of linreg_chunk's commitment (pedersen.nr commit_wide: gradients reach 2^140). */
export const GRADIENT_COMMIT_BITS = 142;

/**
 * Commits to signed values (bigint, or field elements p − |v| for negatives) with blinding r;
 * `bits` = B of the circuit (offset 2^(B−1)).
 */
export function commit(values: readonly bigint[], r: bigint, bits = COMMIT_BITS): Commitment {
  const { G, H } = generators();
  if (values.length > G.length) throw new Error(`commit: at most ${G.length} values, got ${values.length}`);
  const offset = 1n << BigInt(bits - 1);
  let acc = H.multiply(r);
  values.forEach((raw, i) => {
    const v = raw >= 0n && raw < BN254_FR ? toSigned(raw) : raw;
    if (v >= offset || v < -offset) throw new Error(`commit: value ${i} (${v}) is outside ±2^${bits - 1}`);
    acc = acc.add(G[i].multiply(v + offset));
  });
  const a = acc.toAffine();
  return { x: a.x, y: a.y };
}

/** Σ of commitments (points). */
export function addCommitments(cs: readonly Commitment[]): Commitment {
  if (cs.length === 0) throw new Error("addCommitments: nothing to add");
  const a = cs
    .map((c) => Grumpkin.fromAffine(c))
    .reduce((s, p) => s.add(p))
    .toAffine();
  return { x: a.x, y: a.y };
}

/**
 * Checks that `sum` is the opening of n summed commitments: Σ C_k = Σ (v + n·offset)·G_i + (Σ r)·H.
 * `values` are the aggregated signed values, `rSum` the summed blindings (mod the order).
 */
export function verifyAggregate(commitments: readonly Commitment[], values: readonly bigint[], rSum: bigint, bits = COMMIT_BITS): boolean {
  const { G, H } = generators();
  const n = BigInt(commitments.length);
  const COMMIT_OFFSET = 1n << BigInt(bits - 1);
  let acc = H.multiply(((rSum % GRUMPKIN_ORDER) + GRUMPKIN_ORDER) % GRUMPKIN_ORDER || GRUMPKIN_ORDER);
  values.forEach((v, i) => {
    const s = (((v + n * COMMIT_OFFSET) % GRUMPKIN_ORDER) + GRUMPKIN_ORDER) % GRUMPKIN_ORDER;
    if (s !== 0n) acc = acc.add(G[i].multiply(s));
  });
  const a = acc.toAffine();
  const sum = addCommitments(commitments);
  return a.x === sum.x && a.y === sum.y;
}

/** circuits/noir/lib/src/generators.nr (test/circuits/honk_twin.test.ts checks the file matches). */
export function generatorsNoir(): string {
  const { G, H } = generators();
  const pt = (p: GrumpkinPoint) => {
    const a = p.toAffine();
    return `EmbeddedCurvePoint { x: 0x${a.x.toString(16)}, y: 0x${a.y.toString(16)} }`;
  };
  return (
    "// Generated by protocol/src/honk/pedersen.ts (generatorsNoir); do not edit.\n" +
    '// Pedersen generators on Grumpkin: hashToGrumpkin("ciphermine/honk/pedersen/<i>" | ".../blinding").\n' +
    "use std::embedded_curve_ops::EmbeddedCurvePoint;\n\n" +
    `pub global GENERATORS: [EmbeddedCurvePoint; ${G.length}] = [\n` +
    G.map((p) => `    ${pt(p)},\n`).join("") +
    "];\n\n" +
    `pub global BLINDING: EmbeddedCurvePoint = ${pt(H)};\n`
  );
}
