import { before, test } from "node:test";
import assert from "node:assert/strict";
import { SNARK_FIELD } from "../../protocol/src/binding.js";
import {
  bytes32ToField,
  chunkPath,
  commitDataset,
  commitDatasetWith,
  fieldToBytes32,
  hashRow,
  merklePath,
  paddedWidth,
  poseidonHasher,
  rootFromPath,
  rowSalt,
  TREE_DEPTH,
  zeroHashes,
  type Hasher,
} from "../../protocol/src/commitment.js";
import { encodeRows } from "../../protocol/src/fixedpoint.js";

let H: Hasher;
before(async () => {
  H = await poseidonHasher();
});
const seed = new Uint8Array(32).fill(1);

test("Poseidon is circomlib's (published test vectors)", () => {
  // circomlib test/poseidoncircuit.js and circomlibjs test/poseidon.js
  assert.equal(H([1n, 2n]), 0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189an);
  assert.equal(H([1n, 2n, 3n, 4n]), 0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465n);
});

test("salts are deterministic per seed and row, distinct, and in the field", () => {
  assert.equal(rowSalt(seed, 5), rowSalt(seed, 5));
  assert.notEqual(rowSalt(seed, 5), rowSalt(seed, 6));
  assert.notEqual(rowSalt(seed, 5), rowSalt(new Uint8Array(32).fill(2), 5));
  assert.ok(rowSalt(seed, 0) < SNARK_FIELD);
  assert.throws(() => rowSalt(new Uint8Array(8), 0), /at least 16 secret bytes/);
  assert.throws(() => rowSalt(seed, -1), /row index -1/);
});

test("leaves: zero-padded blocks of 4, chained", () => {
  const row = Array.from({ length: 10 }, (_, i) => BigInt(i + 1));
  assert.equal(hashRow(H, 9n, row.slice(0, 4)), H([9n, 1n, 2n, 3n, 4n]));
  assert.equal(hashRow(H, 9n, row.slice(0, 3)), H([9n, 1n, 2n, 3n, 0n]), "3 columns hash as 4 with a zero");
  assert.equal(hashRow(H, 9n, row.slice(0, 8)), H([H([9n, 1n, 2n, 3n, 4n]), 5n, 6n, 7n, 8n]));
  assert.equal(hashRow(H, 9n, row), H([H([H([9n, 1n, 2n, 3n, 4n]), 5n, 6n, 7n, 8n]), 9n, 10n, 0n, 0n]));
  assert.deepEqual([1, 3, 4, 5, 8, 9].map(paddedWidth), [4, 4, 4, 8, 8, 12]);
  assert.throws(() => hashRow(H, 9n, []), /at least one column/);
});

test("root of a small dataset equals a direct computation over the padded depth-20 tree", async () => {
  const rows = encodeRows([
    [1, 2],
    [3, -4],
    [5.5, 6],
  ]);
  const t = await commitDataset(rows, seed);
  const leaves = rows.map((r, i) => H([rowSalt(seed, i), ...r, 0n, 0n]));
  assert.deepEqual(t.leaves, leaves);
  const z = zeroHashes(H);
  let node = H([H([leaves[0], leaves[1]]), H([leaves[2], 0n])]);
  for (let k = 2; k < TREE_DEPTH; k++) node = H([node, z[k]]);
  assert.equal(t.rootField, node);
  assert.equal(t.root, fieldToBytes32(node));
  assert.equal(bytes32ToField(t.root), node);
  assert.equal(t.depth, TREE_DEPTH);
  assert.equal(t.rows, 3);
  assert.equal(t.columns, 2);
  // Same data, same seed: same root; another seed hides the same data differently.
  assert.equal((await commitDataset(rows, seed)).root, t.root);
  assert.notEqual((await commitDataset(rows, new Uint8Array(32).fill(3))).root, t.root);
});

test("row paths and chunk paths lead to the root", () => {
  const rows = encodeRows(Array.from({ length: 37 }, (_, i) => [i, -i]));
  const t = commitDatasetWith(H, rows, seed);
  for (const i of [0, 1, 17, 36]) {
    const p = merklePath(t, i);
    assert.equal(p.siblings.length, TREE_DEPTH);
    assert.equal(rootFromPath(H, t.leaves[i], p.pathIndices, p.siblings), t.rootField);
  }
  for (const [chunk, R] of [
    [0, 8],
    [4, 8],
    [1, 32],
    [0, 64],
  ] as const) {
    const p = chunkPath(t, chunk, R);
    // The subtree root recomputed from its (zero-padded) leaves.
    let level = Array.from({ length: R }, (_, i) => t.leaves[chunk * R + i] ?? 0n);
    while (level.length > 1) level = level.reduce<bigint[]>((acc, _, i) => (i % 2 ? acc : [...acc, H([level[i], level[i + 1]])]), []);
    assert.equal(p.subtreeRoot, level[0]);
    assert.equal(p.count, Math.min(R, 37 - chunk * R));
    assert.equal(p.siblings.length, TREE_DEPTH - Math.log2(R));
    assert.equal(rootFromPath(H, p.subtreeRoot, p.pathIndices, p.siblings), t.rootField);
  }
  assert.throws(() => chunkPath(t, 5, 8), /chunk 5 does not exist; the dataset has 5 chunks of 8 rows/);
  assert.throws(() => chunkPath(t, 0, 6), /chunkRows 6 must be a power of two/);
});

test("bad datasets are refused with the row and column named", () => {
  assert.throws(() => commitDatasetWith(H, [], seed), /no rows/);
  assert.throws(() => commitDatasetWith(H, [[1n, 2n], [3n]], seed), /row 1 has 1 values, expected 2/);
  assert.throws(() => commitDatasetWith(H, [[1n], [1n << 60n]], seed), /row 1, column #0 .* encode it with fixedpoint.encode/);
  assert.throws(() => commitDatasetWith(H, [[SNARK_FIELD]], seed), /row 0, column #0/);
  assert.throws(() => commitDatasetWith(H, [[1n]], new Uint8Array(4)), /seed must be/);
  assert.throws(() => bytes32ToField("0x12"), /32-byte hex/);
  assert.throws(() => bytes32ToField("0x" + "f".repeat(64)), /not below the BN254 field order/);
});
