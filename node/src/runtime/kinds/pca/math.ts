import type { PcaParams, PcaResult } from "../../../../../protocol/src/tasks/pca/index.js";
import { symmetricEigen } from "../../../algorithms/linalg.js";

/**
 * The math of federated PCA, pure. A member's contribution over d columns is its covariance
 * ingredients, all additive over rows: [n, Σx (d), Σxxᵀ upper triangle row by row (d(d+1)/2)].
 * The requester turns their sum into the sample covariance (n − 1) or correlation matrix and keeps
 * its top k eigenvectors.
 */

export const pcaLength = (d: number): number => 1 + d + (d * (d + 1)) / 2;

/** A member's vector from its rows (already restricted to the task's columns, in order). */
export function pcaVector(rows: readonly (readonly number[])[], d: number): number[] {
  const v = new Array<number>(pcaLength(d)).fill(0);
  for (const x of rows) {
    v[0] += 1;
    let t = 1 + d;
    for (let i = 0; i < d; i++) {
      v[1 + i] += x[i];
      for (let j = i; j < d; j++) v[t++] += x[i] * x[j];
    }
  }
  return v;
}

/** The requester's step: summed vector → components, explained variance, mean. */
export function pcaFromSums(p: Pick<PcaParams, "columns" | "k" | "standardize">, sum: readonly number[]): PcaResult {
  const d = p.columns.length;
  if (sum.length !== pcaLength(d)) throw new Error(`pca: the aggregate has ${sum.length} values, expected ${pcaLength(d)} for ${d} columns`);
  const n = Math.round(sum[0]);
  if (n < 2) throw new Error(`pca: ${n} row(s) in all; a sample covariance needs at least 2`);
  const s = sum.slice(1, 1 + d);
  const mean = s.map((x) => x / n);
  const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  let t = 1 + d;
  for (let i = 0; i < d; i++)
    for (let j = i; j < d; j++) {
      // Σ(x_i − m_i)(x_j − m_j) = Σx_i x_j − s_i s_j / n
      cov[i][j] = cov[j][i] = (sum[t++] - (s[i] * s[j]) / n) / (n - 1);
    }
  let scale: number[] | undefined;
  let m = cov;
  if (p.standardize) {
    scale = cov.map((row, i) => Math.sqrt(Math.max(0, row[i])));
    const zero = scale.findIndex((x) => !(x > 0));
    if (zero >= 0) throw new Error(`pca: column "${p.columns[zero]}" is constant over every member's rows; it cannot be standardized (drop it, or set standardize: false)`);
    m = cov.map((row, i) => row.map((x, j) => (i === j ? 1 : x / (scale![i] * scale![j]))));
  }
  const e = symmetricEigen(m);
  const total = m.reduce((acc, row, i) => acc + row[i], 0);
  const values = e.values.slice(0, p.k);
  return {
    columns: [...p.columns],
    components: e.vectors.slice(0, p.k),
    explainedVariance: values,
    explainedVarianceRatio: values.map((v) => (total > 0 ? v / total : 0)),
    mean,
    ...(scale ? { scale } : {}),
    rows: n,
  };
}
