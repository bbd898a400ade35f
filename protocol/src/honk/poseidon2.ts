import { Field } from "@noble/curves/abstract/modular.js";
import { grainGenConstants } from "@noble/curves/abstract/poseidon.js";

/**
 * Poseidon2 over BN254's scalar field, width t = 4, x^5, 8 full + 56 partial rounds: the instance
 * that Barretenberg implements as a custom gate and Noir exposes as
 * `std::hash::poseidon2_permutation` (test/circuits/honk_twin.test.ts checks this twin against
 * bb.js and against Noir's execution).
 *
 * The round constants are the Grain LFSR stream of the Poseidon paper for (p, t = 4, R_F = 8,
 * R_P = 56), taken from noble's generator instead of a table: 4 per full round and 1 per partial
 * round, in round order (the first R_F·t + R_P elements of the stream). The internal matrix is J + diag(d − 1) written as s_i ← d_i·s_i + Σ s with
 * the reference instance's diagonal below.
 */
export const BN254_FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const P = BN254_FR;
const T = 4;
const ROUNDS_F = 8;
const ROUNDS_P = 56;

const INTERNAL_DIAGONAL = [
  0x10dc6e9c006ea38b04b1e03b4bd9490c0d03f98929ca1d7fb56821fd19d3b6e7n,
  0x0c28145b6a44df3e0149b3d0a30b3bb599df9756d4dd9b84a86b38cfb45a740bn,
  0x00544b8338791518b2c7645a50392798b21f75bb60e3596170067d00141cac15n,
  0x222c01175718386f2e2e82eb122789e352e105a3b8fa852613bc534433ee428bn,
];

let roundConstants: bigint[][] | undefined;
function constants(): bigint[][] {
  if (!roundConstants) {
    const c = grainGenConstants({ Fp: Field(P), t: T, roundsFull: ROUNDS_F, roundsPartial: ROUNDS_P }, 0);
    const stream = c.roundConstants.flat();
    const half = ROUNDS_F / 2;
    let k = 0;
    roundConstants = [];
    for (let r = 0; r < ROUNDS_F + ROUNDS_P; r++) {
      const full = r < half || r >= half + ROUNDS_P;
      roundConstants.push(full ? stream.slice(k, (k += T)) : [stream[k++]]);
    }
  }
  return roundConstants;
}

const sbox = (x: bigint): bigint => {
  const x2 = (x * x) % P;
  return (((x2 * x2) % P) * x) % P;
};

/** The external 4×4 matrix of Poseidon2 ([[5,7,1,3],[4,6,1,1],[1,3,5,7],[1,1,4,6]]). */
function external(s: bigint[]): void {
  const [a, b, c, d] = s;
  const t0 = a + b,
    t1 = c + d,
    t2 = 2n * b + t1,
    t3 = 2n * d + t0;
  const t4 = 4n * t1 + t3,
    t5 = 4n * t0 + t2;
  s[0] = (t3 + t5) % P;
  s[1] = t5 % P;
  s[2] = (t2 + t4) % P;
  s[3] = t4 % P;
}

function internal(s: bigint[]): void {
  const sum = s[0] + s[1] + s[2] + s[3];
  for (let i = 0; i < T; i++) s[i] = (s[i] * INTERNAL_DIAGONAL[i] + sum) % P;
}

/** The Poseidon2 permutation of 4 field elements. */
export function poseidon2Permutation(input: readonly bigint[]): bigint[] {
  if (input.length !== T) throw new Error(`poseidon2Permutation: input must hold ${T} field elements, got ${input.length}`);
  const rc = constants();
  const s = input.map((x) => {
    if (x < 0n || x >= P) throw new Error(`poseidon2Permutation: ${x} is not a BN254 scalar field element (0 ≤ x < p)`);
    return x;
  });
  external(s);
  const half = ROUNDS_F / 2;
  for (let r = 0; r < ROUNDS_F + ROUNDS_P; r++) {
    if (r < half || r >= half + ROUNDS_P) {
      for (let i = 0; i < T; i++) s[i] = sbox((s[i] + rc[r][i]) % P);
      external(s);
    } else {
      s[0] = sbox((s[0] + rc[r][0]) % P);
      internal(s);
    }
  }
  return s;
}

const TWO_POW_64 = 1n << 64n;

/**
 * The sponge every circuit here uses (circuits/noir/lib/src/hash.nr): capacity element
 * len·2^64 (the length as domain separator, as in Barretenberg's and Noir's own Poseidon2 sponge),
 * rate 3, blocks zero-padded, the first state element out. Equal to Noir's
 * `Poseidon2::hash(inputs, len)` for every input length.
 */
export function poseidon2Hash(inputs: readonly bigint[]): bigint {
  if (inputs.length === 0) throw new Error("poseidon2Hash: needs at least one input");
  let s = [0n, 0n, 0n, BigInt(inputs.length) * TWO_POW_64];
  for (let i = 0; i < inputs.length; i += 3) {
    for (let j = 0; j < 3 && i + j < inputs.length; j++) {
      const x = inputs[i + j];
      if (x < 0n || x >= P) throw new Error(`poseidon2Hash: input ${i + j} is not a BN254 scalar field element`);
      s[j] = (s[j] + x) % P;
    }
    s = poseidon2Permutation(s);
  }
  return s[0];
}
