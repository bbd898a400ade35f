import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SNARK_FIELD as P } from "../../protocol/src/binding.js";
import { commitDataset, commitDatasetWith, poseidonHasher, type DatasetTree, type Hasher } from "../../protocol/src/commitment.js";
import { encodeRows, MAX_ABS } from "../../protocol/src/fixedpoint.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { chunkSumInput } from "../../node/src/zk/inputs.js";
import { BUILD_DIR, CIRCUITS_DIR } from "../../circuits/sources.js";
import { calcWitness, firstViolation, freeWires, loadR1cs, rejection, type R1cs } from "./harness.js";

// The built circuit itself (circuits/build/chunk_sum), witnessed and checked against its R1CS.
const WASM = join(BUILD_DIR, "chunk_sum", "chunk_sum.wasm");
const R1CS = join(BUILD_DIR, "chunk_sum", "chunk_sum.r1cs");
const PARAMS = { chunkRows: 8, columns: 4, treeDepth: 20 };
// Wire layout: 1..4 sums, 5 count, 6 chunkIndex, 7 binding, 8 root.
const W = { sums: 1, count: 5, chunkIndex: 6, binding: 7, root: 8 };

/** "line: N" of the first line of chunk_sum.circom containing `text`, to name the constraint that must fail. */
function lineOf(text: string): string {
  const lines = readFileSync(join(CIRCUITS_DIR, "chunk_sum.circom"), "utf8").split("\n");
  const i = lines.findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `chunk_sum.circom has no line with ${text}`);
  return `line: ${i + 1}`;
}

const raw = Array.from({ length: 21 }, (_, i) => [i * 1.25, -i / 3, (i % 5) - 2.5, 1000 - i * i]);
const rows = encodeRows(raw);
const seed = new Uint8Array(32).fill(42);
const binding = 0x1234567890abcdefn;
let tree: DatasetTree;
let r1cs: R1cs;
let H: Hasher;

type Input = { values: string[][]; salts: string[]; mask: string[]; pathIndices: string[]; siblings: string[]; binding: string; root: string };
const input = (chunk: number): Input => chunkSumInput(tree, rows, chunk, binding, PARAMS) as Input;

before(async () => {
  tree = await commitDataset(rows, seed);
  r1cs = await loadR1cs(R1CS);
  H = await poseidonHasher();
});
after(releaseZk);

describe("chunk_sum: right witnesses", () => {
  for (const chunk of [0, 2]) {
    test(`chunk ${chunk} (${chunk === 2 ? "5 rows + 3 padding" : "8 rows"}): outputs equal the JS commitment and sums`, async () => {
      const w = await calcWitness(WASM, input(chunk));
      assert.equal(firstViolation(r1cs, w), -1);
      const first = chunk * 8;
      const mine = rows.slice(first, first + 8);
      for (let c = 0; c < 4; c++)
        assert.equal(
          w[W.sums + c],
          mine.reduce((s, r) => (s + r[c]) % P, 0n),
          `sum of column ${c}`,
        );
      assert.equal(w[W.count], BigInt(mine.length));
      assert.equal(w[W.chunkIndex], BigInt(chunk));
      assert.equal(w[W.binding], binding);
      assert.equal(w[W.root], tree.rootField, "the circuit accepts exactly the JS root");
    });
  }

  test("a 3-column dataset: its rows are zero-padded to 4, the 4th sum is 0", async () => {
    const narrow = encodeRows(raw.map((r) => r.slice(0, 3)));
    const t3 = await commitDataset(narrow, seed);
    const w = await calcWitness(WASM, chunkSumInput(t3, narrow, 1, binding, PARAMS));
    assert.equal(firstViolation(r1cs, w), -1);
    assert.equal(w[W.sums + 3], 0n);
    assert.equal(
      w[W.sums],
      narrow.slice(8, 16).reduce((s, r) => (s + r[0]) % P, 0n),
    );
    assert.equal(w[W.root], t3.rootField);
    const wide = encodeRows(raw.map((r) => [...r, 1]));
    assert.throws(() => chunkSumInput(commitDatasetWithSync(wide), wide, 0, binding, PARAMS), /5 columns; this circuit proves datasets of 1 to 4 columns/);
  });

  test("no wire of a right witness can be changed alone", async () => {
    const w = await calcWitness(WASM, input(2));
    assert.deepEqual(freeWires(r1cs, w), []);
  });
});

describe("chunk_sum: wrong witnesses are rejected", () => {
  const rootLine = lineOf("root === path.root");
  const padLine = lineOf("mask[i] * values[i][c] === values[i][c]");
  const saltLine = lineOf("mask[i] * salts[i] === salts[i]");

  test("wrong salt, wrong value, wrong sibling, wrong path bit, wrong root", async () => {
    const cases: [string, (x: Input) => void][] = [
      ["salt", (x) => (x.salts[1] = (BigInt(x.salts[1]) + 1n).toString())],
      ["value", (x) => (x.values[0][0] = (BigInt(x.values[0][0]) + 1n).toString())],
      ["sibling", (x) => (x.siblings[3] = (BigInt(x.siblings[3]) + 1n).toString())],
      ["path bit", (x) => (x.pathIndices[0] = x.pathIndices[0] === "0" ? "1" : "0")],
      ["root", (x) => (x.root = (tree.rootField + 1n).toString())],
    ];
    for (const [what, mutate] of cases) {
      const x = input(0);
      mutate(x);
      const msg = await rejection(WASM, x);
      assert.match(msg, /ChunkSum/, what);
      assert.ok(msg.includes(rootLine), `${what}: expected the root check (${rootLine}), got ${msg}`);
    }
  });

  test("a real row cannot be dropped as padding", async () => {
    const x = input(2); // rows 16..20 real
    x.mask[4] = "0";
    x.values[4] = ["0", "0", "0", "0"];
    x.salts[4] = "0";
    assert.ok((await rejection(WASM, x)).includes(rootLine));
  });

  test("non-boolean and non-prefix masks", async () => {
    const a = input(0);
    a.mask[7] = "2";
    assert.match(await rejection(WASM, a), /PrefixMask/);
    const b = input(2);
    // A hole in the mask: row 1 marked padding (and zeroed) while row 2 is real.
    b.mask[1] = "0";
    b.values[1] = ["0", "0", "0", "0"];
    b.salts[1] = "0";
    assert.match(await rejection(WASM, b), /PrefixMask/);
  });

  test("padding rows must be all zero, salt included", async () => {
    const a = input(2);
    a.values[6][2] = "5";
    assert.ok((await rejection(WASM, a)).includes(padLine));
    const b = input(2);
    b.salts[7] = "9";
    assert.ok((await rejection(WASM, b)).includes(saltLine));
  });

  test("values outside |x| < 2^48 are refused even when committed", async () => {
    // A dishonest owner could commit an out-of-range value; the range check still refuses it.
    const big = [[MAX_ABS, 0n, 0n, 0n], ...rows.slice(1, 8)];
    const t2 = await commitDatasetUnchecked(big);
    const x = chunkSumInput(t2, big, 0, binding, PARAMS);
    assert.match(await rejection(WASM, x), /Num2Bits/);
  });

  test("tampered outputs and public inputs violate the R1CS", async () => {
    const w = await calcWitness(WASM, input(2));
    for (const k of [W.sums, W.sums + 3, W.count, W.chunkIndex, W.binding, W.root]) {
      const bad = w.slice();
      bad[k] = (bad[k] + 1n) % P;
      assert.ok(firstViolation(r1cs, bad) >= 0, `wire ${k}`);
    }
  });

  test("an honest witness for other data does not verify under this root", async () => {
    const other = await commitDataset(rows, new Uint8Array(32).fill(7));
    const w = await calcWitness(WASM, chunkSumInput(other, rows, 1, binding, PARAMS));
    assert.equal(firstViolation(r1cs, w), -1);
    w[W.root] = tree.rootField;
    assert.ok(firstViolation(r1cs, w) >= 0);
  });
});

function commitDatasetWithSync(r: bigint[][]): DatasetTree {
  return commitDatasetWith(H, r, seed);
}

/** Commits rows that fail the codec's range check, by building the tree with the raw hasher (tests only). */
async function commitDatasetUnchecked(bad: bigint[][]): Promise<DatasetTree> {
  const { hashRow, rowSalt, zeroHashes, fieldToBytes32, TREE_DEPTH } = await import("../../protocol/src/commitment.js");
  const zeros = zeroHashes(H);
  const salts = bad.map((_, i) => rowSalt(seed, i));
  const leaves = bad.map((r, i) => hashRow(H, salts[i], r));
  const layers = [leaves];
  for (let k = 1; k <= TREE_DEPTH; k++) {
    const below = layers[k - 1];
    const level: bigint[] = [];
    for (let j = 0; j < below.length; j += 2) level.push(H([below[j], below[j + 1] ?? zeros[k - 1]]));
    layers.push(level);
  }
  const rootField = layers[TREE_DEPTH][0];
  return { root: fieldToBytes32(rootField), rootField, leaves, salts, depth: TREE_DEPTH, rows: bad.length, columns: 4, layers, zeros };
}
