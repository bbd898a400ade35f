import { test } from "node:test";
import assert from "node:assert/strict";
import { concat, keccak256 } from "ethers";
import { proofListLeaf, proofListTree, type ProofListEntry } from "../../protocol/src/honk/prooflist.js";

// The proof-list tree ChunkAudit checks paths against: every entry's path leads to the root for
// lists of 1..9 entries, a path from another list or index does not, and bad indices throw.
const entry = (i: number): ProofListEntry => ({ proof: new Uint8Array([i, 1, 2]), publicInputs: ["0x" + i.toString(16).padStart(64, "0")] });
const climb = (leaf: string, index: number, path: string[]) =>
  path.reduce((node, sib, d) => ((index >> d) & 1 ? keccak256(concat([sib, node])) : keccak256(concat([node, sib]))), leaf);

test("every entry's path leads to the root; one entry is its own root", () => {
  for (let n = 1; n <= 9; n++) {
    const list = Array.from({ length: n }, (_, i) => entry(i));
    const t = proofListTree(list);
    assert.equal(t.path(0).length, Math.ceil(Math.log2(n)));
    for (let i = 0; i < n; i++) assert.equal(climb(proofListLeaf(list[i]), i, t.path(i)), t.root, `n=${n} i=${i}`);
    if (n > 1) assert.notEqual(climb(proofListLeaf(list[0]), 1, t.path(1)), t.root);
  }
  assert.equal(proofListTree([entry(7)]).root, proofListLeaf(entry(7)));
});

test("a changed proof or public input changes the leaf; bad lists and indices throw", () => {
  const e = entry(3);
  assert.notEqual(proofListLeaf({ ...e, proof: new Uint8Array([3, 1, 3]) }), proofListLeaf(e));
  assert.notEqual(proofListLeaf({ ...e, publicInputs: ["0x" + "0".repeat(63) + "4"] }), proofListLeaf(e));
  assert.throws(() => proofListTree([]), /at least one entry/);
  assert.throws(() => proofListTree([e, e]).path(2), /entry 2 does not exist/);
});
