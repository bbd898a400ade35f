import { test } from "node:test";
import assert from "node:assert/strict";
import { solve } from "../../node/src/algorithms/linalg.js";

test("solve: Gaussian elimination with partial pivoting matches a known solution and needs the pivot swap", () => {
  // A zero leading entry: without pivoting the first step divides by 0.
  const A = [
    [0, 2, 1],
    [1, 1, 1],
    [2, 1, 3],
  ];
  const x = [1.5, -2, 0.25];
  const b = A.map((row) => row.reduce((s, a, j) => s + a * x[j], 0));
  const got = solve(A, b);
  got.forEach((v, i) => assert.ok(Math.abs(v - x[i]) < 1e-12, `x[${i}] = ${v}, want ${x[i]}`));
  assert.deepEqual(
    A,
    [
      [0, 2, 1],
      [1, 1, 1],
      [2, 1, 3],
    ],
    "A is left as it was",
  );
});

test("solve: a singular system fails with the caller's message; the tolerance is the caller's", () => {
  const A = [
    [1, 2],
    [2, 4],
  ];
  assert.throws(() => solve(A, [1, 2], { singular: "features are collinear; drop one" }), /features are collinear; drop one/);
  assert.throws(
    () =>
      solve(
        [
          [1, 0],
          [0, 1e-13],
        ],
        [1, 1],
        { tolerance: 1e-12 },
      ),
    /singular/,
  );
  assert.deepEqual(
    solve(
      [
        [1, 0],
        [0, 1e-13],
      ],
      [1, 1e-13],
    ),
    [1, 1],
  );
  assert.throws(() => solve([[1, 2]], [1]), /A must be 1 × 1/);
});
