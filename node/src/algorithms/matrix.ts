/** Input checks and small helpers shared by the mining algorithms (rows × attributes as number[][]). */

export type Matrix = readonly (readonly number[])[];

/** Throws a named error unless `X` is a non-empty rectangular matrix of finite numbers. */
export function checkMatrix(name: string, X: unknown, opts: { cols?: number; minRows?: number } = {}): asserts X is Matrix {
  if (!Array.isArray(X) || X.length === 0) throw new Error(`${name}: must be a non-empty array of rows`);
  if (opts.minRows !== undefined && X.length < opts.minRows) throw new Error(`${name}: needs at least ${opts.minRows} rows, got ${X.length}`);
  const cols = opts.cols ?? (Array.isArray(X[0]) ? X[0].length : -1);
  if (cols < 1) throw new Error(`${name}: rows must be non-empty arrays of numbers`);
  for (let i = 0; i < X.length; i++) {
    const row: unknown = X[i];
    if (!Array.isArray(row)) throw new Error(`${name}: row ${i} is not an array`);
    if (row.length !== cols) throw new Error(`${name}: row ${i} has ${row.length} attributes, expected ${cols}; every row needs the same dimension`);
    for (let j = 0; j < cols; j++) {
      if (typeof row[j] !== "number" || !Number.isFinite(row[j])) throw new Error(`${name}: row ${i}, attribute ${j} is not a finite number (${row[j]}); remove or impute it`);
    }
  }
}

export function checkK(k: unknown, rows: number): asserts k is number {
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1) throw new Error(`k: must be a positive integer, got ${String(k)}`);
  if (k > rows) throw new Error(`k: ${k} clusters need at least ${k} rows, the dataset has ${rows}; lower k`);
}

export interface IterationOptions {
  /** Stop when no centroid moves more than this (Euclidean). Default 1e-6. */
  tolerance?: number;
  /** Default 100. */
  maxIterations?: number;
}

export function checkIterationOptions(o: IterationOptions): Required<IterationOptions> {
  const tolerance = o.tolerance ?? 1e-6;
  const maxIterations = o.maxIterations ?? 100;
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new Error(`tolerance: must be a finite number ≥ 0, got ${tolerance}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new Error(`maxIterations: must be a positive integer, got ${maxIterations}`);
  return { tolerance, maxIterations };
}

export function sqDist(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

export function l1Dist(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s;
}

/** Column means and one global scale so that (x − mean)/scale lies in [−1, 1]. Distances scale by 1/scale. */
export interface Normalizer {
  readonly mean: number[];
  readonly scale: number;
}

export function fitNormalizer(X: Matrix): Normalizer {
  const a = X[0].length;
  const mean = new Array<number>(a).fill(0);
  for (const r of X) for (let j = 0; j < a; j++) mean[j] += r[j] / X.length;
  let m = 0;
  for (const r of X) for (let j = 0; j < a; j++) m = Math.max(m, Math.abs(r[j] - mean[j]));
  return { mean, scale: m > 0 ? m : 1 };
}

export function normalize(nz: Normalizer, X: Matrix): number[][] {
  return X.map((r) => r.map((v, j) => (v - nz.mean[j]) / nz.scale));
}

export function denormalize(nz: Normalizer, X: Matrix): number[][] {
  return X.map((r) => r.map((v, j) => v * nz.scale + nz.mean[j]));
}

export function nextPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}
