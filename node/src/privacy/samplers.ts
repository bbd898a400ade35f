import { randomFillSync } from "node:crypto";

/**
 * Exact samplers for integer-valued differential-privacy noise. Every decision is a comparison of
 * uniform integers drawn from the OS CSPRNG (crypto.randomFillSync) with rationals held as bigints:
 * no floating point, no Math.random, no inverse CDF, so the output distribution is exactly the
 * stated one (the float samplers on npm draw from Mersenne Twister through a float inverse CDF,
 * whose rounding leaks through the low bits: Mironov 2012).
 *
 * Discrete Laplace, Bernoulli(exp(−γ)) and the discrete Gaussian follow Canonne, Kamath and Steinke,
 * "The Discrete Gaussian for Differential Privacy" (NeurIPS 2020), Algorithms 1–3. The Poisson
 * sampler (for Skellam) is rejection from a geometric proposal, also exact.
 */

/** A non-negative rational num/den (den > 0). */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** Where uniform bytes come from; the OS CSPRNG unless a test needs to count draws. */
export type ByteSource = (buf: Uint8Array) => void;

const POOL = 4096;
let pool = new Uint8Array(0);
let at = 0;
/** Buffered OS randomness: one getrandom call per 4 KiB instead of one per draw. */
const osBytes: ByteSource = (buf) => {
  for (let i = 0; i < buf.length; i++) {
    if (at >= pool.length) {
      pool = randomFillSync(new Uint8Array(POOL));
      at = 0;
    }
    buf[i] = pool[at++]!;
  }
};

export function rational(num: bigint | number, den: bigint | number = 1n): Rational {
  const n = BigInt(num);
  const d = BigInt(den);
  if (d <= 0n) throw new RangeError(`rational: denominator must be positive, got ${d}`);
  if (n < 0n) throw new RangeError(`rational: must be non-negative, got ${n}/${d}`);
  return { num: n, den: d };
}

/**
 * The exact value of a finite non-negative double as a rational (doubles are dyadic), so a σ²
 * computed in floating point is then sampled exactly, and the accountant's figure for it is exact.
 */
export function rationalOf(x: number): Rational {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`rationalOf: expected a finite non-negative number, got ${x}`);
  if (x === 0) return { num: 0n, den: 1n };
  let den = 1n;
  let v = x;
  // Multiplying by 2 is exact for doubles; at most 1074 steps reach an integer.
  while (!Number.isInteger(v)) {
    v *= 2;
    den *= 2n;
  }
  return { num: BigInt(v), den };
}

/** Uniform integer in [0, n), by rejection on the smallest byte string covering n (exact). */
export function uniformBelow(n: bigint, bytes: ByteSource = osBytes): bigint {
  if (n <= 0n) throw new RangeError(`uniformBelow: n must be positive, got ${n}`);
  if (n === 1n) return 0n;
  const bits = (n - 1n).toString(2).length;
  const len = Math.ceil(bits / 8);
  const mask = (1n << BigInt(bits)) - 1n;
  const buf = new Uint8Array(len);
  for (;;) {
    bytes(buf);
    let v = 0n;
    for (const b of buf) v = (v << 8n) | BigInt(b);
    v &= mask;
    if (v < n) return v;
  }
}

/** Bernoulli(num/den), num ≤ den. */
export function bernoulli(p: Rational, bytes: ByteSource = osBytes): boolean {
  if (p.num > p.den) throw new RangeError(`bernoulli: p = ${p.num}/${p.den} exceeds 1`);
  return uniformBelow(p.den, bytes) < p.num;
}

/** Bernoulli(exp(−γ)) for rational γ ≥ 0 (CKS20 Algorithm 1). */
export function bernoulliExp(gamma: Rational, bytes: ByteSource = osBytes): boolean {
  const { den } = gamma;
  let { num } = gamma;
  // exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)): each factor is a separate coin, all must come up.
  while (num > den) {
    if (!bernoulliExpSmall(1n, 1n, bytes)) return false;
    num -= den;
  }
  return bernoulliExpSmall(num, den, bytes);
}

/** γ = num/den ∈ [0, 1]: the series method; K is odd with probability exactly exp(−γ). */
function bernoulliExpSmall(num: bigint, den: bigint, bytes: ByteSource): boolean {
  let k = 1n;
  while (uniformBelow(den * k, bytes) < num) k++;
  return k % 2n === 1n;
}

/** Geometric count of successes before the first failure, with success probability exp(−1). */
function geometricExpNeg1(bytes: ByteSource): bigint {
  let v = 0n;
  while (bernoulliExpSmall(1n, 1n, bytes)) v++;
  return v;
}

/**
 * Discrete Laplace with scale t (a positive integer): P(x) ∝ exp(−|x|/t) on the integers
 * (CKS20 Algorithm 2 with s = 1).
 */
export function discreteLaplace(t: bigint, bytes: ByteSource = osBytes): bigint {
  if (t < 1n) throw new RangeError(`discreteLaplace: scale t must be a positive integer, got ${t}`);
  for (;;) {
    const u = uniformBelow(t, bytes);
    if (!bernoulliExp({ num: u, den: t }, bytes)) continue;
    const x = u + t * geometricExpNeg1(bytes);
    const negative = uniformBelow(2n, bytes) === 1n;
    if (negative && x === 0n) continue;
    return negative ? -x : x;
  }
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton from the float estimate; the loops settle it exactly.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/**
 * Discrete Gaussian N_Z(0, σ²): P(x) ∝ exp(−x²/(2σ²)) on the integers, σ² a positive rational
 * (CKS20 Algorithm 3). Proposal: discrete Laplace with t = ⌊σ⌋ + 1; accept with
 * Bernoulli(exp(−(|Y| − σ²/t)²/(2σ²))); expected iterations below 1.5 for every σ.
 */
export function discreteGaussian(sigma2: Rational, bytes: ByteSource = osBytes): bigint {
  const { num: n, den: d } = sigma2;
  if (n <= 0n || d <= 0n) throw new RangeError(`discreteGaussian: σ² must be a positive rational, got ${n}/${d}`);
  const t = isqrt(n / d) + 1n; // ⌊σ⌋ + 1 (⌊√⌊σ²⌋⌋ = ⌊σ⌋)
  // (|Y| − σ²/t)² / (2σ²) = (|Y|·d·t − n)² / (2·n·d·t²)
  const gammaDen = 2n * n * d * t * t;
  for (;;) {
    const y = discreteLaplace(t, bytes);
    const a = (y < 0n ? -y : y) * d * t - n;
    if (bernoulliExp({ num: a * a, den: gammaDen }, bytes)) return y;
  }
}

/**
 * Poisson(λ), λ a positive rational. Poisson(λ) is the sum of m = ⌈2λ⌉ draws of Poisson(s),
 * s = λ/m ≤ 1/2, each drawn by rejection: propose k with P(k) = (1 − s)·s^k (count Bernoulli(s)
 * successes), accept with probability 1/k! (coins Bernoulli(1/i), i = 2..k). The ratio of the pmfs
 * is e^(−s)/((1 − s)·k!), so this is exact; the cost is linear in λ, so it suits the moderate
 * parameters of a Skellam draw, not means of 10^12.
 */
export function poisson(lambda: Rational, bytes: ByteSource = osBytes): bigint {
  const { num, den } = lambda;
  if (num === 0n) return 0n;
  const m = (2n * num + den - 1n) / den; // ⌈2λ⌉
  const s: Rational = { num, den: den * m };
  let total = 0n;
  for (let i = 0n; i < m; i++) total += poissonSmall(s, bytes);
  return total;
}

function poissonSmall(s: Rational, bytes: ByteSource): bigint {
  for (;;) {
    let k = 0n;
    while (bernoulli(s, bytes)) k++;
    let accept = true;
    for (let i = 2n; i <= k && accept; i++) accept = uniformBelow(i, bytes) === 0n;
    if (accept) return k;
  }
}

/** Skellam: Poisson(λ) − Poisson(λ), symmetric, variance 2λ; closed under sums (Sk(λ₁) + Sk(λ₂) = Sk(λ₁ + λ₂)). */
export function skellam(lambda: Rational, bytes: ByteSource = osBytes): bigint {
  return poisson(lambda, bytes) - poisson(lambda, bytes);
}
