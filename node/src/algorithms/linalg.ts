/** Dense linear algebra on small matrices (d × d with d the number of features): pure, no I/O. */

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
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[piv]![c]!)) piv = r;
    if (Math.abs(M[piv]![c]!) < tolerance) throw new Error(opts.singular ?? "solve: the matrix is singular");
    [M[c], M[piv]] = [M[piv]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}
