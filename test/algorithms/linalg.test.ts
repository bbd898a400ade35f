import { test } from "node:test";
import assert from "node:assert/strict";
import { signNormalize, symmetricEigen } from "../../node/src/algorithms/linalg.js";

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);
const vecClose = (a: readonly number[], b: readonly number[], tol: number, what: string) => a.forEach((x, i) => close(x, b[i], tol, `${what}[${i}]`));

/** A v = λ v for every pair, and V orthonormal. */
function checkDecomposition(A: number[][], e: ReturnType<typeof symmetricEigen>, tol: number) {
  const n = A.length;
  e.vectors.forEach((v, i) => {
    const Av = A.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
    vecClose(
      Av,
      v.map((x) => x * e.values[i]),
      tol,
      `A v${i} − λ v${i}`,
    );
    for (let j = 0; j < n; j++)
      close(
        v.reduce((s, x, k) => s + x * e.vectors[j][k], 0),
        i === j ? 1 : 0,
        1e-12,
        `v${i}·v${j}`,
      );
  });
  for (let i = 1; i < n; i++) assert.ok(e.values[i - 1] >= e.values[i], "values are sorted, largest first");
}

test("2 × 2 [[2, 1], [1, 2]]: eigenvalues 3 and 1, vectors (1, 1)/√2 and (1, −1)/√2", () => {
  const e = symmetricEigen([
    [2, 1],
    [1, 2],
  ]);
  vecClose(e.values, [3, 1], 1e-14, "values");
  vecClose(e.vectors[0], [Math.SQRT1_2, Math.SQRT1_2], 1e-14, "v0");
  vecClose(e.vectors[1], [Math.SQRT1_2, -Math.SQRT1_2], 1e-14, "v1");
});

test("3 × 3 tridiagonal [[4,1,0],[1,3,1],[0,1,2]]: eigenvalues 3 + √3, 3, 3 − √3 with known vectors", () => {
  const A = [
    [4, 1, 0],
    [1, 3, 1],
    [0, 1, 2],
  ];
  const e = symmetricEigen(A);
  vecClose(e.values, [3 + Math.sqrt(3), 3, 3 - Math.sqrt(3)], 1e-14, "values");
  // (A − 3I) v = 0 gives v ∝ (1, −1, −1); sign-normalized: the first largest entry is positive.
  vecClose(
    e.vectors[1],
    [1, -1, -1].map((x) => x / Math.sqrt(3)),
    1e-14,
    "v1",
  );
  checkDecomposition(A, e, 1e-13);
});

test("diagonal and identity: the values are the diagonal; repeated values keep an orthonormal basis", () => {
  const d = symmetricEigen([
    [1, 0, 0],
    [0, 5, 0],
    [0, 0, -2],
  ]);
  assert.deepEqual(d.values, [5, 1, -2]);
  assert.deepEqual(d.vectors, [
    [0, 1, 0],
    [1, 0, 0],
    [0, 0, 1],
  ]);
  assert.equal(d.sweeps, 0);
  const I = symmetricEigen([
    [1, 0],
    [0, 1],
  ]);
  assert.deepEqual(I.values, [1, 1]);
  checkDecomposition(
    [
      [1, 0],
      [0, 1],
    ],
    I,
    0,
  );
});

test("random symmetric 12 × 12 (seeded) and a rank-1 matrix: A = V Λ Vᵀ to 1e-12", () => {
  let s = 42;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const n = 12;
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) A[i][j] = A[j][i] = rnd() * 100;
  const e = symmetricEigen(A);
  checkDecomposition(A, e, 1e-11);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      close(
        e.values.reduce((acc, l, k) => acc + l * e.vectors[k][i] * e.vectors[k][j], 0),
        A[i][j],
        1e-11,
        `reconstructed [${i}][${j}]`,
      );
  close(
    e.values.reduce((a, b) => a + b, 0),
    A.reduce((t, row, i) => t + row[i], 0),
    1e-11,
    "Σλ = trace",
  );

  const u = [3, -4, 12]; // |u| = 13
  const e1 = symmetricEigen(u.map((x) => u.map((y) => x * y)));
  vecClose(e1.values, [169, 0, 0], 1e-12, "rank-1 values");
  vecClose(
    e1.vectors[0],
    [-3 / 13, 4 / 13, -12 / 13].map((x) => -x),
    1e-14,
    "rank-1 vector (sign: 12/13 positive)",
  );
});

test("sign normalization: the first entry of largest magnitude is positive", () => {
  assert.deepEqual(signNormalize([0.1, -0.9, 0.3]), [-0.1, 0.9, -0.3]);
  assert.deepEqual(signNormalize([-0.5, 0.5]), [0.5, -0.5]);
  assert.deepEqual(signNormalize([0, 0]), [0, 0]);
});

test("bad input is refused with the entry named", () => {
  assert.throws(() => symmetricEigen([]), /empty/);
  assert.throws(() => symmetricEigen([[1, 2], [3]]), /row 1 has 1 entries; the matrix must be 2 × 2/);
  assert.throws(
    () =>
      symmetricEigen([
        [1, 2],
        [2.5, 1],
      ]),
    /entries \[0\]\[1\] = 2 and \[1\]\[0\] = 2.5 differ; the matrix must be symmetric/,
  );
  assert.throws(
    () =>
      symmetricEigen([
        [1, NaN],
        [NaN, 1],
      ]),
    /entry \[0\]\[1\] is NaN/,
  );
});
