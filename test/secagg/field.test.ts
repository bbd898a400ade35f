import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { P, prgElements, randomElements } from "../../node/src/crypto/secagg/field.js";
import { split, reconstruct, Interpolator } from "../../node/src/crypto/secagg/shamir.js";

/** χ² statistic of values in [0, p) over equal-width buckets. */
function chiSquare(vals: bigint[], buckets: number): number {
  const counts = new Array<number>(buckets).fill(0);
  for (const v of vals) counts[Number((v * BigInt(buckets)) / P)]++;
  const e = vals.length / buckets;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}
// χ² critical value for 15 degrees of freedom at significance 1e-4.
const CHI2_15_1E4 = 42.6;

test("PRG output is uniform mod p (χ² over 16 buckets), unlike naive reduction of 256-bit strings", () => {
  const vals = prgElements(new Uint8Array(randomBytes(32)), 40_000);
  assert.ok(vals.every((v) => v >= 0n && v < P));
  const chi = chiSquare(vals, 16);
  assert.ok(chi < CHI2_15_1E4, `χ² = ${chi} too large for uniform output`);
  // The same test catches the classic bias: 2^256 mod p puts ~1.2× weight on the low residues.
  const naive = Array.from({ length: 40_000 }, () => BigInt("0x" + randomBytes(32).toString("hex")) % P);
  assert.ok(chiSquare(naive, 16) > CHI2_15_1E4, "the χ² test should detect modulo bias");
  assert.ok(chiSquare(randomElements(40_000), 16) < CHI2_15_1E4);
});

test("PRG is deterministic per seed and differs across seeds", () => {
  const seed = new Uint8Array(randomBytes(32));
  assert.deepEqual(prgElements(seed, 50), prgElements(seed, 50));
  assert.deepEqual(prgElements(seed, 5), prgElements(seed, 50).slice(0, 5));
  const other = Uint8Array.from(seed);
  other[0] ^= 1;
  assert.notDeepEqual(prgElements(seed, 4), prgElements(other, 4));
  assert.throws(() => prgElements(new Uint8Array(16), 1), /seed must be 32 bytes/);
});

test("Shamir: any t shares rebuild the secret; fewer are refused; a wrong extra share is caught", () => {
  const s = randomElements(1)[0];
  const shares = split(s, [1, 2, 3, 4, 5], 3);
  assert.equal(reconstruct(shares.slice(0, 3), 3), s);
  assert.equal(reconstruct([shares[4], shares[1], shares[3]], 3), s);
  assert.equal(reconstruct(shares, 3), s);
  assert.throws(() => reconstruct(shares.slice(0, 2), 3), /needs 3 shares .* only 2/);
  const bad = shares.map((x, i) => (i === 4 ? { x: x.x, y: (x.y + 1n) % P } : x));
  assert.throws(() => reconstruct(bad, 3), /share at point 5 is inconsistent/);
  // t-1 shares say nothing: two different secrets can share the same first two shares' x with fresh coefficients.
  assert.notDeepEqual(split(s, [1, 2, 3], 3)[0].y, split(s, [1, 2, 3], 3)[0].y);
  assert.throws(() => split(s, [1, 1, 2], 2), /appears twice/);
  assert.throws(() => split(P, [1, 2], 2), /not a field element/);
  assert.throws(() => new Interpolator([1, 2], 3), /needs 3 shares/);
});

test("the field is the BN254 scalar field (the modulus circom and Groth16 use)", async () => {
  const { bn254_Fr } = await import("@noble/curves/bn254.js");
  assert.equal(P, bn254_Fr.ORDER);
});
