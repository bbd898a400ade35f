/**
 * Dense linear algebra on small matrices (number[][]), pure, no I/O: Gaussian elimination for the
 * regressions' d × d systems (d the number of features), and symmetric eigendecomposition by the
 * cyclic Jacobi method: slower than QR-based solvers for large n, but short, unconditionally
 * convergent on symmetric input and accurate to a few ulps of the matrix norm, which is what the
 * requester's d × d covariance matrices (d ≤ 64) need.
 */

export interface SolveOptions {
  /** A pivot of magnitude below this means the system is singular. Default 1e-300 (exact zero up to underflow). */
  tolerance?: number;
  /** The error when it is, naming the caller's cause and fix (e.g. collinear features). */
  singular?: string;
}

/**
 * Solves A x = b by Gaussian elimination with partial pivoting and back substitution, for the
 * small well-conditioned systems of the regressions (Newton steps on a Hessian, the vertical
 * block preconditioner). A and b are not modified.
 */
export function solve(A: readonly (readonly number[])[], b: readonly number[], opts: SolveOptions = {}): number[] {
  const n = b.length;
  if (A.length !== n || A.some((row) => row.length !== n)) throw new Error(`solve: A must be ${n} × ${n} to match b's ${n} entries`);
  const tolerance = opts.tolerance ?? 1e-300;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (Math.abs(M[piv][c]) < tolerance) throw new Error(opts.singular ?? "solve: the matrix is singular");
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: number[];
  /**
   * Unit eigenvectors: vectors[i] belongs to values[i]. Each one's sign is fixed so that its
   * largest-magnitude entry (the first such, within 1e-12) is positive: the decomposition is then
   * a function of the matrix, not of the rotation order.
   */
  vectors: number[][];
  /** Jacobi sweeps taken. */
  sweeps: number;
}

/** Flips `v` in place so its largest-magnitude entry (the first within 1e-12 of it) is positive; returns v. */
export function signNormalize(v: number[]): number[] {
  let max = 0;
  for (const x of v) max = Math.max(max, Math.abs(x));
  const lead = v.find((x) => Math.abs(x) >= max - 1e-12);
  if (lead !== undefined && lead < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i] || 0;
  return v;
}

/**
 * Eigenvalues and unit eigenvectors of a real symmetric matrix. Throws, naming the entry, on a
 * non-square, non-finite or non-symmetric input (asymmetry beyond 1e-9 of the largest entry).
 */
export function symmetricEigen(A: readonly (readonly number[])[], opts: { maxSweeps?: number } = {}): SymmetricEigen {
  const n = A.length;
  if (n === 0) throw new Error("symmetricEigen: the matrix is empty; give an n × n array with n ≥ 1");
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const row = A[i];
    if (!Array.isArray(row) || row.length !== n) throw new Error(`symmetricEigen: row ${i} has ${Array.isArray(row) ? row.length : "no"} entries; the matrix must be ${n} × ${n}`);
    for (let j = 0; j < n; j++) {
      const x: unknown = row[j];
      if (typeof x !== "number" || !Number.isFinite(x)) throw new Error(`symmetricEigen: entry [${i}][${j}] is ${String(x)}; every entry must be a finite number`);
      scale = Math.max(scale, Math.abs(x));
    }
  }
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++)
      if (Math.abs(A[i][j] - A[j][i]) > 1e-9 * scale)
        throw new Error(`symmetricEigen: entries [${i}][${j}] = ${A[i][j]} and [${j}][${i}] = ${A[j][i]} differ; the matrix must be symmetric`);

  // Work on the symmetrised copy, so a tolerated asymmetry cannot bias the result.
  const a = A.map((row, i) => row.map((x, j) => (x + A[j][i]) / 2));
  const V: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  const maxSweeps = opts.maxSweeps ?? 100;
  let norm = 0;
  for (const row of a) for (const x of row) norm += x * x;
  const eps = Number.EPSILON * Math.sqrt(norm);
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] ** 2;
    if (Math.sqrt(off) <= eps || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p][q];
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q]: t = tan φ, the smaller root of t² + 2θt − 1 = 0.
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = Math.abs(theta) > 1e150 ? 1 / (2 * theta) : Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p],
            akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k],
            aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        a[p][q] = 0;
        a[q][p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p],
            vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  if (sweeps === maxSweeps) throw new Error(`symmetricEigen: no convergence in ${maxSweeps} sweeps (the input is not a finite symmetric matrix?)`);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i] || i - j);
  return {
    values: order.map((i) => a[i][i]),
    vectors: order.map((i) => signNormalize(V.map((row) => row[i]))),
    sweeps,
  };
}
