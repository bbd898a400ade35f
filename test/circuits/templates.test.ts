import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SNARK_FIELD as P } from "../../protocol/src/binding.js";
import { hashRow, poseidonHasher, rootFromPath, type Hasher } from "../../protocol/src/commitment.js";
import { releaseZk } from "../../chain-connector/src/zkverify.js";
import { calcWitness, compileWrapper, firstViolation, freeWires, loadR1cs, rejection, type Compiled, type R1cs } from "./harness.js";

// One small wrapper per template in circuits/lib, compiled (and cached) by the test itself.
let H: Hasher;
before(async () => {
  H = await poseidonHasher();
});
after(releaseZk);

async function setup(name: string, source: string): Promise<{ c: Compiled; r: R1cs }> {
  const c = compileWrapper(name, `pragma circom 2.1.0;\n${source}\n`);
  return { c, r: await loadR1cs(c.r1cs) };
}

/** A right witness satisfies the R1CS and no wire can be changed alone. */
async function sound(t: { c: Compiled; r: R1cs }, input: Record<string, unknown>, expectFree: number[] = []): Promise<bigint[]> {
  const w = await calcWitness(t.c.wasm, input);
  assert.equal(firstViolation(t.r, w), -1, "the right witness must satisfy every constraint");
  assert.deepEqual(freeWires(t.r, w), expectFree, "no wire may be free (under-constrained)");
  return w;
}

/** Changing output `k` (wire k, outputs come first) of a right witness breaks a constraint. */
function tamperedOutputRejected(t: { r: R1cs }, w: bigint[], k: number): void {
  const bad = w.slice();
  bad[k] = (bad[k] + 1n) % P;
  assert.ok(firstViolation(t.r, bad) >= 0, `tampered output wire ${k} must violate a constraint`);
}

describe("SignedRange(8): -128 ≤ x < 128", () => {
  let t: { c: Compiled; r: R1cs };
  before(async () => {
    t = await setup("t_range", `include "lib/range.circom";\ncomponent main = SignedRange(8);`);
  });
  test("values inside the range pass", async () => {
    for (const x of [0n, 1n, 127n, P - 1n, P - 128n]) await sound(t, { in: x.toString() });
  });
  test("values outside are rejected by a constraint", async () => {
    for (const x of [128n, 255n, P - 129n, P / 2n]) {
      assert.match(await rejection(t.c.wasm, { in: x.toString() }), /Assert Failed.*Num2Bits/s);
    }
  });
  test("a bit of the decomposition cannot be changed alone", async () => {
    const w = await sound(t, { in: "100" });
    for (let k = 1; k < w.length; k++) tamperedOutputRejected(t, w, k);
  });
});

describe("PrefixMask(4)", () => {
  let t: { c: Compiled; r: R1cs };
  before(async () => {
    t = await setup("t_mask", `include "lib/prefix_mask.circom";\ncomponent main = PrefixMask(4);`);
  });
  test("prefixes of ones pass and are counted", async () => {
    for (const m of [
      [0, 0, 0, 0],
      [1, 0, 0, 0],
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ]) {
      // --O2 folds the linear `count = Σ mask` by substituting mask[3] = count - Σ others, so
      // moving count alone moves mask[3] too: from [1,1,1,0] that is the valid mask [1,1,1,1]
      // (count 4), a different right witness rather than a free wire.
      const w = await sound(t, { mask: m.map(String) }, m.join() === "1,1,1,0" ? [1] : []);
      assert.equal(w[1], BigInt(m.reduce((a, b) => a + b, 0)));
    }
  });
  test("non-boolean and non-prefix masks are rejected", async () => {
    assert.match(await rejection(t.c.wasm, { mask: ["2", "0", "0", "0"] }), /Assert Failed.*PrefixMask/s);
    assert.match(await rejection(t.c.wasm, { mask: [(P - 1n).toString(), "0", "0", "0"] }), /Assert Failed.*PrefixMask/s);
    assert.match(await rejection(t.c.wasm, { mask: ["1", "0", "1", "0"] }), /Assert Failed.*PrefixMask/s);
    assert.match(await rejection(t.c.wasm, { mask: ["0", "1", "1", "1"] }), /Assert Failed.*PrefixMask/s);
  });
  test("a tampered count violates a constraint", async () => {
    tamperedOutputRejected(t, await sound(t, { mask: ["1", "1", "0", "0"] }), 1);
  });
});

describe("RowLeaf equals protocol hashRow", () => {
  for (const C of [3, 4, 9]) {
    test(`${C} columns${C % 4 ? " (last block zero-padded)" : ""}${C > 4 ? ", chained" : ""}`, async () => {
      const t = await setup(`t_leaf${C}`, `include "lib/row_leaf.circom";\ncomponent main = RowLeaf(${C});`);
      const salt = 123456789n;
      const values = Array.from({ length: C }, (_, i) => (i % 2 ? P - BigInt(i * 65536) : BigInt(i * 1000 + 7)));
      const w = await sound(t, { salt: salt.toString(), values: values.map(String) });
      assert.equal(w[1], hashRow(H, salt, values));
      tamperedOutputRejected(t, w, 1);
    });
  }
});

describe("Merkle templates equal the protocol tree", () => {
  test("SubtreeRoot(2) over 4 leaves", async () => {
    const t = await setup("t_subtree", `include "lib/merkle.circom";\ncomponent main = SubtreeRoot(2);`);
    const leaves = [11n, 22n, 0n, 44n];
    const w = await sound(t, { leaves: leaves.map(String) });
    assert.equal(w[1], H([H([11n, 22n]), H([0n, 44n])]));
    tamperedOutputRejected(t, w, 1);
  });

  test("MerklePath(3): root and index; non-boolean path bits rejected", async () => {
    const t = await setup("t_path", `include "lib/merkle.circom";\ncomponent main = MerklePath(3);`);
    const siblings = [5n, 6n, 7n];
    for (const bits of [
      [0, 0, 0],
      [1, 0, 1],
      [1, 1, 1],
    ]) {
      const input = { node: "99", pathIndices: bits.map(String), siblings: siblings.map(String) };
      const w = await sound(t, input);
      assert.equal(w[1], rootFromPath(H, 99n, bits, siblings));
      assert.equal(w[2], BigInt(bits[0] + 2 * bits[1] + 4 * bits[2]));
      tamperedOutputRejected(t, w, 1);
      tamperedOutputRejected(t, w, 2);
    }
    assert.match(await rejection(t.c.wasm, { node: "99", pathIndices: ["2", "0", "0"], siblings: siblings.map(String) }), /Assert Failed.*MerklePath/s);
  });
});
