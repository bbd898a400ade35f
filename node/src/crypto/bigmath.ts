/**
 * Modular arithmetic on native bigints, sized for Paillier (moduli of 2,048–8,192 bits): the one
 * bigint module of the node (Paillier, its proofs, vertical regression). No I/O.
 * The costs that matter: one 4,096-bit modular multiplication is ~25 µs on this machine's cores,
 * so everything here is about doing fewer of them (windows, fixed-base tables, bucketed multi-exp).
 */
import { randomBytes as nodeRandomBytes } from "node:crypto";

/**
 * base^exp mod m (exp ≥ 0), left-to-right sliding window; the window shrinks for short exponents,
 * where the table of odd powers would cost more than it saves.
 */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  if (exp < 0n) throw new Error("modPow: negative exponent; invert the base first");
  let b = base % m;
  if (b < 0n) b += m;
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  const WINDOW = bits.length > 512 ? 5 : bits.length > 64 ? 4 : 2;
  const b2 = (b * b) % m;
  const odd: bigint[] = [b];
  for (let i = 1; i < 1 << (WINDOW - 1); i++) odd.push((odd[i - 1] * b2) % m);
  let r = 1n;
  let i = 0;
  while (i < bits.length) {
    if (bits.charCodeAt(i) === 48) {
      r = (r * r) % m;
      i++;
      continue;
    }
    let j = Math.min(i + WINDOW, bits.length);
    while (bits.charCodeAt(j - 1) === 48) j--;
    const val = parseInt(bits.slice(i, j), 2);
    for (let k = i; k < j; k++) r = (r * r) % m;
    r = (r * odd[(val - 1) >> 1]) % m;
    i = j;
  }
  return r;
}

export function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("modInv: value is not invertible modulo m (it shares a factor with the modulus)");
  return ((s0 % m) + m) % m;
}

/** a mod m in [0, m) for a signed a. */
export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

export function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

export function toBytes(x: bigint, length: number): Uint8Array {
  if (x < 0n) throw new Error("toBytes: negative");
  let h = x.toString(16);
  if (h.length > length * 2) throw new Error(`toBytes: value needs more than ${length} bytes`);
  h = h.padStart(length * 2, "0");
  return Uint8Array.from(Buffer.from(h, "hex"));
}

export function fromBytes(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt("0x" + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex"));
}

/** Uniform in [1, n) and coprime to n (rejection sampling on CSPRNG bytes). */
export function randomBelow(n: bigint, random: (len: number) => Uint8Array): bigint {
  const len = Math.ceil(bitLength(n) / 8) + 8;
  for (;;) {
    const x = fromBytes(random(len)) % n;
    if (x > 1n && gcd(x, n) === 1n) return x;
  }
}

/**
 * Uniform in [0, bound) up to 2^-64 (8 extra bytes reduced mod bound); exact for a power-of-two
 * bound. No coprimality test: for exponents (DJN randomness) and masks, where a gcd would only cost.
 */
export function uniformBelow(bound: bigint): bigint {
  const bytes = Math.ceil(bitLength(bound) / 8) + 8;
  return BigInt("0x" + nodeRandomBytes(bytes).toString("hex")) % bound;
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
  const buckets = new Array<bigint | null>(1 << w);
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
  constructor(
    base: bigint,
    readonly m: bigint,
    readonly bits: number,
    readonly w = 8,
  ) {
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
