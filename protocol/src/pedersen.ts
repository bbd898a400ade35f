import { babyjubjub } from "@noble/curves/misc.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { SNARK_FIELD } from "./binding.js";

/**
 * Pedersen vector commitments on Baby Jubjub (the twisted Edwards curve over the BN254 scalar
 * field that circomlib's babyjub / escalarmulfix templates use), additively homomorphic:
 *
 *   commit(v, r) = Σ_i s_i·G_{i+1} + r·H,   s_i = v_i + 2^(bits-1)   (H = G_0)
 *
 * - Values are signed field elements (fixed point, negatives p - |x|). Baby Jubjub's subgroup
 *   order l ≠ p, so a negative written as p - |x| would not add correctly as a scalar; the circuit
 *   instead commits to the offset s_i = v_i + 2^(bits-1), which its Num2Bits(bits) pins to
 *   [0, 2^bits) (so |v_i| < 2^(bits-1), the range check of the committed value). Offsets add up
 *   too: n commitments sum to commit(Σ v + n·2^(bits-1), Σ r). verifyAggregate subtracts that.
 *   As long as n·2^bits < l ≈ 2^251, integer sums never wrap.
 * - Generators are nothing-up-my-sleeve: G_i is the first y = sha256("ciphermine/pedersen/<i>/<ctr>")
 *   mod p (ctr = 0, 1, …) that lies on the curve, x the even root, multiplied by the cofactor 8 so
 *   it lies in the prime-order subgroup. Nobody knows a discrete log between them.
 * - The blinding r is private, uniform below l, fresh per contribution; a member reveals only the
 *   sum of blindings (to whoever checks the aggregate), never one r with its values.
 */

const Point = babyjubjub.Point;
type BjjPoint = InstanceType<typeof Point>;
/** Prime order of the Baby Jubjub subgroup the generators live in. */
export const SUBGROUP_ORDER: bigint = babyjubjub.Point.Fn.ORDER;
/** Generators shipped to circuits (circuits/lib/pedersen_generators.circom holds the same points). */
export const MAX_GENERATORS = 32;
const DOMAIN = "ciphermine/pedersen/";

export interface Commitment {
  x: bigint;
  y: bigint;
}

const A = 168700n;
const D = 168696n;
const Fp = babyjubjub.Point.Fp;

function hashToCurve(i: number): BjjPoint {
  for (let ctr = 0; ; ctr++) {
    const digest = sha256(new TextEncoder().encode(`${DOMAIN}${i}/${ctr}`));
    const y = BigInt("0x" + Buffer.from(digest).toString("hex")) % SNARK_FIELD;
    // a·x² + y² = 1 + d·x²·y²  ⇒  x² = (1 - y²) / (a - d·y²)
    const y2 = Fp.sqr(y);
    const den = Fp.sub(A, Fp.mul(D, y2));
    if (Fp.is0(den)) continue;
    const x2 = Fp.div(Fp.sub(1n, y2), den);
    let x: bigint;
    try {
      x = Fp.sqrt(x2);
    } catch {
      continue; // not a square: next counter
    }
    if (x & 1n) x = Fp.neg(x);
    const p = Point.fromAffine({ x, y }).clearCofactor();
    if (p.is0() || !p.isTorsionFree()) continue;
    return p;
  }
}

const generatorCache: BjjPoint[] = [];
function gen(i: number): BjjPoint {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_GENERATORS) {
    throw new RangeError(`pedersen: generator index ${i} must be an integer in [0, ${MAX_GENERATORS}); commit at most ${MAX_GENERATORS - 1} values`);
  }
  generatorCache[i] ??= hashToCurve(i);
  return generatorCache[i];
}

/** Generator i as affine (x, y): 0 is H (blinding), 1.. are the value generators. */
export function generator(i: number): Commitment {
  const a = gen(i).toAffine();
  return { x: a.x, y: a.y };
}

const toPoint = (c: Commitment, what: string): BjjPoint => {
  let p: BjjPoint;
  try {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- c comes off the wire; BigInt() inside the try turns a malformed coordinate into the named error below
    p = Point.fromAffine({ x: BigInt(c.x), y: BigInt(c.y) });
    p.assertValidity();
  } catch {
    throw new RangeError(`pedersen: ${what} (${c.x}, ${c.y}) is not a Baby Jubjub point`);
  }
  if (!p.isTorsionFree()) throw new RangeError(`pedersen: ${what} is not in the prime-order subgroup`);
  return p;
};
const fromPoint = (p: BjjPoint): Commitment => {
  const a = p.toAffine();
  return { x: a.x, y: a.y };
};
const mul = (p: BjjPoint, s: bigint): BjjPoint => {
  const k = ((s % SUBGROUP_ORDER) + SUBGROUP_ORDER) % SUBGROUP_ORDER;
  return k === 0n ? Point.ZERO : p.multiply(k);
};

/** Signed field element (p - |x| for negatives) or signed integer → signed integer. */
function signed(v: bigint): bigint {
  if (v < 0n && v > -SNARK_FIELD / 2n) return v;
  if (v < 0n || v >= SNARK_FIELD) throw new RangeError(`pedersen: ${v} is not a field element`);
  return v > SNARK_FIELD / 2n ? v - SNARK_FIELD : v;
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 240) throw new RangeError(`pedersen: bits ${bits} must be an integer in [2, 240]`);
}

/** Fresh blinding, uniform below the subgroup order. */
export function randomBlinding(): bigint {
  for (;;) {
    const b = crypto.getRandomValues(new Uint8Array(32));
    b[0] &= 0x0f; // 252 bits, then reject ≥ l (l ≈ 2^251.6): expected < 2 tries
    const r = BigInt("0x" + Buffer.from(b).toString("hex"));
    if (r < SUBGROUP_ORDER) return r;
  }
}

/**
 * commit(values, blinding) as the circuits' PedersenCommit(n, bits) computes it. `values` are
 * signed field elements with |v| < 2^(bits-1); blinding in [0, l).
 */
export function pedersenCommit(values: readonly bigint[], blinding: bigint, bits: number): Commitment {
  checkBits(bits);
  if (values.length + 1 > MAX_GENERATORS) throw new RangeError(`pedersen: ${values.length} values; at most ${MAX_GENERATORS - 1}`);
  if (blinding < 0n || blinding >= SUBGROUP_ORDER) throw new RangeError("pedersen: blinding must be in [0, l) (use randomBlinding)");
  const offset = 1n << BigInt(bits - 1);
  let acc = mul(gen(0), blinding);
  values.forEach((v, i) => {
    const x = signed(v);
    if (x >= offset || x < -offset) throw new RangeError(`pedersen: value #${i} = ${x} does not fit ${bits} signed bits`);
    acc = acc.add(mul(gen(i + 1), x + offset));
  });
  return fromPoint(acc);
}

/** Σ commitments (the group operation). */
export function addCommitments(cs: readonly Commitment[]): Commitment {
  return fromPoint(cs.reduce<BjjPoint>((acc, c, i) => acc.add(toPoint(c, `commitment #${i}`)), Point.ZERO));
}

/** Σ blindings mod l: what a checker needs with the aggregate. */
export function addBlindings(rs: readonly bigint[]): bigint {
  return rs.reduce((a, r) => (a + r) % SUBGROUP_ORDER, 0n);
}

/**
 * True when Σ commitments opens to `aggregate` (signed integers or signed field elements, the
 * plain sum of the members' values) with blinding Σ r: checks
 * Σ C_j == Σ_i (aggregate_i + n·2^(bits-1))·G_{i+1} + (Σ r)·H, n = number of commitments.
 */
export function verifyAggregate(commitments: readonly Commitment[], aggregate: readonly bigint[], blindingSum: bigint, bits: number): boolean {
  checkBits(bits);
  if (commitments.length === 0) throw new RangeError("pedersen: no commitments to check");
  const n = BigInt(commitments.length);
  const offset = n << BigInt(bits - 1);
  let expect = mul(gen(0), blindingSum);
  aggregate.forEach((v, i) => {
    const x = signed(v);
    expect = expect.add(mul(gen(i + 1), x + offset));
  });
  return toPoint(addCommitments(commitments), "sum").equals(expect);
}

/** The circom function body listing the generators (circuits/lib/pedersen_generators.circom). */
export function generatorsCircom(count: number = MAX_GENERATORS): string {
  const lines = [
    "pragma circom 2.1.0;",
    "",
    "// Generated by protocol/src/pedersen.ts (generatorsCircom); do not edit. Generator i is the first",
    '// y = sha256("ciphermine/pedersen/<i>/<ctr>") mod p on Baby Jubjub, x even, times the cofactor 8.',
    "// 0 is H (blinding), 1.. the value generators.",
    "function PedersenGenerator(i) {",
  ];
  for (let i = 0; i < count; i++) {
    const g = generator(i);
    lines.push(`    if (i == ${i}) { return [${g.x}, ${g.y}]; }`);
  }
  lines.push("    assert(0);", "    return [0, 0];", "}", "");
  return lines.join("\n");
}
