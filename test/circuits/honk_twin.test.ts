import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BackendType, BarretenbergSync } from "@aztec/bb.js";
import { ROOT } from "../../circuits/sources.js";
import { BN254_FR, poseidon2Hash, poseidon2Permutation } from "../../protocol/src/honk/poseidon2.js";
import { chunkLeaf, chunkPath, chunkTree, commitChunks } from "../../protocol/src/honk/chunks.js";
import { COMMIT_OFFSET, GRUMPKIN_ORDER, Grumpkin, addCommitments, commit, generators, generatorsNoir, verifyAggregate } from "../../protocol/src/honk/pedersen.js";
import { statsVector } from "../../protocol/src/honk/stats.js";

// The JS twins of the Honk circuits' hash and commitment, checked against Barretenberg itself
// (bb.js's WASM build, which holds the same Poseidon2 as the bb prover's custom gate).
const fr = (x: bigint): Uint8Array => Uint8Array.from(Buffer.from(x.toString(16).padStart(64, "0"), "hex"));
const big = (b: Uint8Array): bigint => BigInt("0x" + Buffer.from(b).toString("hex"));

test("Poseidon2 permutation and sponge equal Barretenberg's", async () => {
  const bb = await BarretenbergSync.new({ backend: BackendType.Wasm });
  try {
    const inputs = [
      [0n, 1n, 2n, 3n],
      [BN254_FR - 1n, 5n, 0n, 123456789n],
    ];
    for (const inp of inputs) {
      assert.deepEqual(poseidon2Permutation(inp), bb.poseidon2Permutation({ inputs: inp.map(fr) }).outputs.map(big));
    }
    for (const n of [1, 2, 3, 4, 5, 6, 7, 13]) {
      const xs = Array.from({ length: n }, (_, i) => (BigInt(i) * 0x1234567890abcdefn + 17n) % BN254_FR);
      assert.equal(poseidon2Hash(xs), big(bb.poseidon2Hash({ inputs: xs.map(fr) }).hash), `length ${n}`);
    }
  } finally {
    bb.destroy();
  }
  assert.throws(() => poseidon2Permutation([1n, 2n, 3n]), /4 field elements/);
  assert.throws(() => poseidon2Hash([BN254_FR]), /not a BN254 scalar field element/);
});

test("circuits/noir/lib/src/generators.nr is the output of generatorsNoir()", () => {
  const file = readFileSync(join(ROOT, "circuits", "noir", "lib", "src", "generators.nr"), "utf8");
  assert.equal(file, generatorsNoir(), "regenerate: npx tsx -e 'import {generatorsNoir} from \"./protocol/src/honk/pedersen.ts\"; …'");
  const { G, H } = generators();
  for (const p of [...G, H]) p.assertValidity();
  assert.equal(new Set([...G, H].map((p) => p.toAffine().x)).size, G.length + 1, "generators are distinct");
});

test("Grumpkin Pedersen: negative values add, the aggregate opens, a wrong opening fails", () => {
  const a = [5n, -7n, 1n << 90n, -(1n << 100n)];
  const b = [-5n, 3n, -(1n << 90n), 12n];
  const ra = 1234567n;
  const rb = GRUMPKIN_ORDER - 99n;
  const ca = commit(a, ra);
  const cb = commit(b, rb);
  const sum = a.map((x, i) => x + b[i]);
  assert.ok(verifyAggregate([ca, cb], sum, ra + rb));
  assert.ok(
    !verifyAggregate(
      [ca, cb],
      sum.map((x, i) => (i === 1 ? x + 1n : x)),
      ra + rb,
    ),
  );
  assert.ok(!verifyAggregate([ca, cb], sum, ra + rb + 1n));
  // Field-encoded negatives (p − |v|) commit like the signed value.
  assert.deepEqual(commit([BN254_FR - 7n], 5n), commit([-7n], 5n));
  assert.throws(() => commit([COMMIT_OFFSET], 1n), /outside/);
  const s = addCommitments([ca, cb]);
  assert.ok(Grumpkin.fromAffine(s));
});

test("chunked commitment: leaf binds salt, size, count and every value; paths lead to the root", () => {
  const rows = Array.from({ length: 10 }, (_, i) => [BigInt(i) << 16n, -BigInt(i) << 16n, 3n, -(1n << 47n)]);
  const ds = commitChunks(rows, 4, 4, new Uint8Array(32).fill(3));
  assert.equal(ds.chunks.length, 3);
  assert.equal(ds.chunks[2].length, 2);
  const leaf = ds.tree.leaves[1];
  assert.notEqual(chunkLeaf(ds.chunks[1], 4, 4, ds.salts[1] + 1n), leaf);
  assert.notEqual(chunkLeaf(ds.chunks[1], 8, 4, ds.salts[1]), leaf, "chunk size is committed");
  assert.notEqual(chunkLeaf(ds.chunks[1].slice(0, 3), 4, 4, ds.salts[1]), leaf, "count is committed");
  assert.notEqual(chunkLeaf(ds.chunks[1], 4, 4, ds.salts[1], 16), leaf, "the width is committed");
  const three = ds.chunks[1].map((r) => r.slice(0, 3));
  assert.notEqual(
    chunkLeaf(three, 4, 3, ds.salts[1], 4),
    chunkLeaf(
      ds.chunks[1].map((r) => [...r.slice(0, 3), 0n]),
      4,
      4,
      ds.salts[1],
      4,
    ),
    "the column count is committed",
  );
  assert.throws(() => chunkLeaf(three, 4, 5, 1n, 4), /5 columns do not fit 4 slots/);
  const tampered = ds.chunks[1].map((r) => r.slice());
  tampered[2][3] += 1n;
  assert.notEqual(chunkLeaf(tampered, 4, 4, ds.salts[1]), leaf);
  assert.throws(() => chunkLeaf([[1n << 48n, 0n, 0n, 0n]], 4, 4, 1n), /outside ±2\^48/);
  // Walk every path up.
  for (let k = 0; k < 3; k++) {
    let node = ds.tree.leaves[k];
    chunkPath(ds.tree, k).forEach((sib, l) => (node = ((k >> l) & 1) === 1 ? poseidon2Hash([sib, node]) : poseidon2Hash([node, sib])));
    assert.equal(node, ds.tree.root);
  }
  assert.equal(chunkTree(ds.tree.leaves).root, ds.tree.root);
  assert.deepEqual(
    statsVector(
      [
        [1n, -2n],
        [3n, 4n],
      ],
      2,
    ),
    [2n, 4n, 2n, 10n, 20n],
  );
});
