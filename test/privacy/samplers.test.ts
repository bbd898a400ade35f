import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { bernoulliExp, discreteGaussian, discreteLaplace, poisson, rational, rationalOf, skellam, uniformBelow } from "../../node/src/privacy/samplers.js";

/**
 * Each sampler against its exact pmf, computed here independently in floating point. The
 * chi-square threshold is the upper 1e-4 quantile (Wilson–Hilferty), so a correct sampler fails
 * about once in ten thousand runs, while a wrong scale or a biased coin fails every time.
 */
const Z_1E4 = 3.719;
function chiSquareCritical(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + Z_1E4 * Math.sqrt(a)) ** 3;
}

/** Bins a sample against a pmf over the integers: every bin expects ≥ 5, the tails merged into the outermost bins. */
function chiSquare(samples: number[], pmf: (x: number) => number, lo: number, hi: number): { stat: number; df: number } {
  const n = samples.length;
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  // expected mass of each x in [lo, hi], tails folded into the ends
  const xs: number[] = [];
  for (let x = lo; x <= hi; x++) xs.push(x);
  const mass = xs.map((x) => pmf(x));
  let below = 1 - mass.reduce((s, m) => s + m, 0);
  // split the tail mass by side
  let left = 0;
  for (let x = lo - 1; x > lo - 300; x--) left += pmf(x);
  below -= left;
  mass[0] += left;
  mass[mass.length - 1] += Math.max(0, below);
  const obs = xs.map((x, i) => (counts.get(x) ?? 0) + (i === 0 ? samples.filter((s) => s < lo).length : 0) + (i === xs.length - 1 ? samples.filter((s) => s > hi).length : 0));
  // merge bins until each expects ≥ 5
  const bins: { e: number; o: number }[] = [];
  let acc = { e: 0, o: 0 };
  mass.forEach((m, i) => {
    acc.e += m * n;
    acc.o += obs[i];
    if (acc.e >= 5) {
      bins.push(acc);
      acc = { e: 0, o: 0 };
    }
  });
  if (acc.e > 0) {
    const last = bins[bins.length - 1];
    last.e += acc.e;
    last.o += acc.o;
  }
  const stat = bins.reduce((s, b) => s + (b.o - b.e) ** 2 / b.e, 0);
  return { stat, df: bins.length - 1 };
}

function momentsOf(samples: number[]) {
  const n = samples.length;
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  return { mean, variance };
}

function draw(n: number, f: () => bigint): number[] {
  return Array.from({ length: n }, () => Number(f()));
}

function discreteGaussianPmf(sigma2: number): (x: number) => number {
  let z = 0;
  for (let x = -2000; x <= 2000; x++) z += Math.exp(-(x * x) / (2 * sigma2));
  return (x) => Math.exp(-(x * x) / (2 * sigma2)) / z;
}

function pmfVariance(pmf: (x: number) => number, span: number): number {
  let v = 0;
  for (let x = -span; x <= span; x++) v += x * x * pmf(x);
  return v;
}

describe("exact samplers", () => {
  test("uniformBelow is uniform (chi-square) and in range, also for bigint ranges past 2^64", () => {
    const n = 7n;
    const s = draw(14_000, () => uniformBelow(n));
    const r = chiSquare(s, (x) => (x >= 0 && x < 7 ? 1 / 7 : 0), 0, 6);
    assert.ok(r.stat < chiSquareCritical(r.df), `chi-square ${r.stat} with ${r.df} df`);
    const big = (1n << 70n) + 12345n;
    for (let i = 0; i < 200; i++) {
      const u = uniformBelow(big);
      assert.ok(u >= 0n && u < big);
    }
  });

  test("Bernoulli(exp(−γ)) has mean exp(−γ) for γ below and above 1", () => {
    for (const [num, den] of [
      [1n, 3n],
      [7n, 5n],
      [5n, 2n],
    ] as const) {
      const n = 20_000;
      let k = 0;
      for (let i = 0; i < n; i++) if (bernoulliExp({ num, den })) k++;
      const p = Math.exp(-Number(num) / Number(den));
      const se = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(k / n - p) < 4.5 * se, `γ=${num}/${den}: ${k / n} vs ${p}`);
    }
  });

  test("discrete Laplace with scale t = 3 matches exp(−|x|/t) (chi-square)", () => {
    const t = 3;
    const z = (1 + Math.exp(-1 / t)) / (1 - Math.exp(-1 / t));
    const pmf = (x: number) => Math.exp(-Math.abs(x) / t) / z;
    const s = draw(20_000, () => discreteLaplace(3n));
    const r = chiSquare(s, pmf, -20, 20);
    assert.ok(r.stat < chiSquareCritical(r.df), `chi-square ${r.stat} with ${r.df} df`);
    const m = momentsOf(s);
    const v = pmfVariance(pmf, 400);
    assert.ok(Math.abs(m.mean) < 5 * Math.sqrt(v / s.length), `mean ${m.mean}`);
  });

  for (const [num, den] of [
    [3n, 2n],
    [23n, 3n],
  ] as const) {
    test(`discrete Gaussian σ² = ${num}/${den} matches its pmf (chi-square), mean 0, variance`, () => {
      const sigma2 = Number(num) / Number(den);
      const pmf = discreteGaussianPmf(sigma2);
      const s = draw(30_000, () => discreteGaussian(rational(num, den)));
      const span = Math.ceil(6 * Math.sqrt(sigma2));
      const r = chiSquare(s, pmf, -span, span);
      assert.ok(r.stat < chiSquareCritical(r.df), `chi-square ${r.stat} with ${r.df} df`);
      const m = momentsOf(s);
      const v = pmfVariance(pmf, 200);
      // the discrete Gaussian's variance is at most σ² (CKS20 Cor. 9), and close to it
      assert.ok(v <= sigma2 * (1 + 1e-9) && v > 0.95 * sigma2, `pmf variance ${v} vs σ² ${sigma2}`);
      assert.ok(Math.abs(m.mean) < 5 * Math.sqrt(v / s.length), `mean ${m.mean}`);
      assert.ok(Math.abs(m.variance - v) < 5 * v * Math.sqrt(2 / s.length), `variance ${m.variance} vs ${v}`);
    });
  }

  test("a wrong scale fails the same chi-square test (the test can fail)", () => {
    const s = draw(30_000, () => discreteGaussian(rational(3n, 2n)));
    const r = chiSquare(s, discreteGaussianPmf(2), -8, 8);
    assert.ok(r.stat > chiSquareCritical(r.df), `chi-square ${r.stat} should reject σ² = 2`);
  });

  test("discrete Gaussian at the scale of fixed-point noise (σ ≈ 10^6, σ² a non-integer rational) has variance σ²", () => {
    const sigma2: bigint = 10n ** 12n;
    const s = draw(8_000, () => discreteGaussian({ num: 3n * sigma2 + 1n, den: 3n }));
    const m = momentsOf(s);
    const v = Number(sigma2);
    assert.ok(Math.abs(m.mean) < 5 * Math.sqrt(v / s.length), `mean ${m.mean}`);
    assert.ok(Math.abs(m.variance / v - 1) < 5 * Math.sqrt(2 / s.length), `variance ratio ${m.variance / v}`);
  });

  test("Poisson(5/2) and Skellam(3/2) match their pmfs (chi-square)", () => {
    const lf = (k: number) => {
      let s = 0;
      for (let i = 2; i <= k; i++) s += Math.log(i);
      return s;
    };
    const pois = (l: number) => (k: number) => (k < 0 ? 0 : Math.exp(-l + k * Math.log(l) - lf(k)));
    const p = draw(20_000, () => poisson(rational(5n, 2n)));
    const rp = chiSquare(p, pois(2.5), 0, 12);
    assert.ok(rp.stat < chiSquareCritical(rp.df), `Poisson chi-square ${rp.stat} with ${rp.df} df`);
    const sk = (x: number) => {
      let s = 0;
      for (let k = Math.max(0, x); k < 80; k++) s += pois(1.5)(k) * pois(1.5)(k - x);
      return s;
    };
    const s = draw(20_000, () => skellam(rational(3n, 2n)));
    const rs = chiSquare(s, sk, -9, 9);
    assert.ok(rs.stat < chiSquareCritical(rs.df), `Skellam chi-square ${rs.stat} with ${rs.df} df`);
    const m = momentsOf(s);
    assert.ok(Math.abs(m.variance - 3) < 5 * 3 * Math.sqrt(2.5 / s.length), `Skellam variance ${m.variance} vs 2λ = 3`);
  });

  test("rationalOf is the exact value of a double; bad parameters are refused with the reason", () => {
    for (const x of [0.1, 1 / 3, 12345.678, 2 ** -30, 1e12 + 0.5]) {
      const r = rationalOf(x);
      assert.equal(Number(r.num) / Number(r.den), x);
    }
    assert.throws(() => rationalOf(-1), /non-negative/);
    assert.throws(() => discreteGaussian({ num: 0n, den: 1n }), /σ² must be a positive rational/);
    assert.throws(() => discreteLaplace(0n), /positive integer/);
    assert.throws(() => rational(1, 0), /denominator must be positive/);
  });
});
