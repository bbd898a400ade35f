/**
 * Modular arithmetic on native bigints, sized for Paillier (moduli of 2,048–8,192 bits). No I/O.
 * The costs that matter: one 4,096-bit modular multiplication is ~25 µs on this machine's cores,
 * so everything here is about doing fewer of them (windows, fixed-base tables, bucketed multi-exp).
 */

// Single exponentiations, inverses and byte codecs are the Paillier module's (node/src/crypto/bigmath.ts).
export { modInv as invMod, modPow as powMod, bitLength, toBytes as bigToBytes, fromBytes as bytesToBig } from "../crypto/bigmath.js";

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/**
 * Π bases[i]^exps[i] mod m for non-negative exponents, by Pippenger's bucket method: with n bases
 * and b-bit exponents it costs about (b/w)(n + 2^(w+1)) multiplications instead of n·1.2b.
 */
export function multiExp(bases: readonly bigint[], exps: readonly bigint[], m: bigint): bigint {
  if (bases.length !== exps.length) throw new Error(`multiExp: ${bases.length} bases but ${exps.length} exponents`);
  let maxBits = 0;
  for (const e of exps) {
    if (e < 0n) throw new Error("multiExp: exponents must be non-negative; offset or invert first");
    const l = e.toString(2).length;
    if (e !== 0n && l > maxBits) maxBits = l;
  }
  const n = bases.length;
  if (maxBits === 0) return 1n % m;
  let w = 1;
  let best = Infinity;
  for (let c = 1; c <= 16; c++) {
    const cost = Math.ceil(maxBits / c) * (n + 2 ** (c + 1)) + maxBits;
    if (cost < best) [best, w] = [cost, c];
  }
  const windows = Math.ceil(maxBits / w);
  const mask = (1n << BigInt(w)) - 1n;
  // Digits per base, least significant window first, as small numbers.
  const digits = new Uint16Array(n * windows);
  for (let i = 0; i < n; i++) {
    let e = exps[i];
    for (let k = 0; k < windows && e !== 0n; k++) {
      digits[i * windows + k] = Number(e & mask);
      e >>= BigInt(w);
    }
  }
  let acc: bigint | null = null;
  const buckets: (bigint | null)[] = new Array(1 << w);
  for (let k = windows - 1; k >= 0; k--) {
    if (acc !== null) for (let s = 0; s < w; s++) acc = (acc * acc) % m;
    buckets.fill(null);
    for (let i = 0; i < n; i++) {
      const d = digits[i * windows + k];
      if (d === 0) continue;
      const cur = buckets[d];
      buckets[d] = cur === null ? bases[i] : (cur * bases[i]) % m;
    }
    let run: bigint | null = null;
    let tot: bigint | null = null;
    for (let d = buckets.length - 1; d >= 1; d--) {
      const bd = buckets[d];
      if (bd !== null) run = run === null ? bd : (run * bd) % m;
      if (run !== null) tot = tot === null ? run : (tot * run) % m;
    }
    if (tot !== null) acc = acc === null ? tot : (acc * tot) % m;
  }
  return acc ?? 1n % m;
}

/**
 * Fixed-base exponentiation with a precomputed table (comb of w-bit windows): base^e for e < 2^bits
 * costs bits/w multiplications and no squarings. Memory: (bits/w)·(2^w − 1) residues.
 */
export class FixedBase {
  private readonly table: bigint[][];
  constructor(base: bigint, readonly m: bigint, readonly bits: number, readonly w = 8) {
    const windows = Math.ceil(bits / w);
    this.table = [];
    let g = mod(base, m);
    for (let i = 0; i < windows; i++) {
      const row = new Array<bigint>(1 << w);
      row[0] = 1n;
      for (let d = 1; d < 1 << w; d++) row[d] = (row[d - 1] * g) % m;
      this.table.push(row);
      g = (row[(1 << w) - 1] * g) % m;
    }
  }

  pow(e: bigint): bigint {
    if (e < 0n || e >= 1n << BigInt(this.bits)) throw new Error(`FixedBase.pow: exponent must be in [0, 2^${this.bits})`);
    const mask = (1n << BigInt(this.w)) - 1n;
    let acc = 1n;
    for (let i = 0; e !== 0n; i++) {
      const d = Number(e & mask);
      if (d !== 0) acc = acc === 1n ? this.table[i][d] : (acc * this.table[i][d]) % this.m;
      e >>= BigInt(this.w);
    }
    return acc;
  }
}
