import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { extrema, extremaChain, extremaChainError, extremaCommitment, minmaxChunkInputs, type CircuitInputs, type ExtremaLink } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import { withChunk } from "./honk_raw.js";
import type { MinMaxChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// minmax_chunk (2 chunks of 256 rows × 4 columns per proof), chained: each group folds its rows
// into the previous group's extrema, so the last output commits to the extrema of all 1,100 rows
// (3 groups). Column 0's maximum is in group 0 and its minimum in group 1, so later groups must
// carry bounds they do not attain themselves. Every value is ≥ 1 (column 3 ≤ −1), so padding
// rows (zeros) would break min ≤ x (max ≥ x) if the circuit did not mask them.
const C = 4;
const rows = Array.from({ length: 1100 }, (_, i) =>
  Array.from({ length: C }, (_, j) => {
    if (j === 0) return BigInt(i === 7 ? 9000 : i === 600 ? 1 : 2 + (i % 500)) * 65536n;
    return BigInt(1 + ((i * 37 + j * 11) % 500)) * 65536n * (j === 3 ? -1n : 1n) + (j === 3 ? -1n : 0n);
  }),
);
const binding = 4242n;
const blindings = [31337n, 31338n, 31339n];
let ds: ChunkedDataset;
let links: ExtremaLink[];
let circuit: HonkCircuit;
let proofs: HonkProof[];
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: MinMaxChunkHonkVerifier;

const inputs = (g: number, prev = links[g - 1]): CircuitInputs => minmaxChunkInputs(ds, g, binding, blindings[g], 2, prev);
const chainOf = (ps: HonkProof[]) => ps.map((p) => ({ group: p.publicInputs[1], prev: p.publicInputs[4], extrema: p.publicInputs[5] }));

before(async () => {
  ds = commitChunks(rows, 256, C, new Uint8Array(32).fill(1));
  links = extremaChain(ds, 2, blindings);
  circuit = new HonkCircuit("minmax_chunk");
  const [n, ...ps] = await Promise.all([startHardhatNode(), ...[0, 1, 2].map((g) => circuit.prove(inputs(g)))]);
  proofs = ps.map((p) => p.proof);
  node = n;
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  verifier = (await deployHonkVerifier(new Wallet(node.accounts[0], provider), "MinMaxChunkHonkVerifier")) as unknown as MinMaxChunkHonkVerifier;
});
after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("three chained groups prove the extrema of every row; the EVM verifier accepts each and nothing else", async () => {
  const all = extrema(rows, C);
  const last = links[2];
  assert.deepEqual([last.mins, last.maxs], [all.mins, all.maxs]);
  assert.equal(all.maxs[0], 9000n * 65536n, "group 0's maximum is carried to the end");
  assert.equal(all.mins[0], 65536n, "group 1's minimum is carried to the end");
  for (const [g, p] of proofs.entries()) {
    const prev = g === 0 ? 0n : extremaCommitment(links[g - 1].mins, links[g - 1].maxs, links[g - 1].blinding);
    assert.deepEqual(p.publicInputs, [ds.tree.root, BigInt(g), binding, BigInt(C), prev, extremaCommitment(links[g].mins, links[g].maxs, blindings[g])]);
  }
  assert.equal(extremaChainError(chainOf(proofs), last, 4), undefined);
  assert.equal(await verifier.verify(...solidityArgs(proofs[1])), true);
  console.log(`minmax_chunk: verify gas ${await verifier.verify.estimateGas(...solidityArgs(proofs[1]))}`);
  for (const at of [4, 5]) {
    const swapped: HonkProof = { ...proofs[1], publicInputs: proofs[1].publicInputs.map((x, i) => (i === at ? x + 1n : x)) };
    assert.equal(await verifyWithContract(verifier, swapped), false, `public input ${at} changed`);
  }
});

test("wrong bounds have no witness: not attained, above / below a value, or looser than the previous group's", async () => {
  const withBound = (g: number, key: "mins" | "maxs", j: number, value: bigint): CircuitInputs => {
    const good = inputs(g);
    const arr = (good[key] as string[]).slice();
    arr[j] = toField(value).toString();
    return { ...good, [key]: arr };
  };
  const l1 = links[1];
  await assert.rejects(circuit.witness(withBound(0, "mins", 1, links[0].mins[1] + 1n)), /assert_max_bit_size|bit size/i, "min above a value");
  await assert.rejects(circuit.witness(withBound(0, "mins", 1, links[0].mins[1] - 1n)), /no real row attains the minimum/, "min below every value");
  await assert.rejects(circuit.witness(withBound(1, "maxs", 3, l1.maxs[3] - 1n)), /assert_max_bit_size|bit size/i, "max below a value");
  await assert.rejects(circuit.witness(withBound(1, "maxs", 3, l1.maxs[3] + 1n)), /no real row attains the maximum/, "max above every value and the previous max");
  await assert.rejects(circuit.witness(withBound(1, "mins", 0, l1.mins[0] - 1n)), /no real row attains the minimum/, "min below the group's and the previous one");
  // Group 2 reporting only its own maximum of column 0 drops group 0's larger one: max < prev max.
  const own2 = extrema(rows.slice(1024), C);
  assert.ok(own2.maxs[0] < links[2].maxs[0]);
  await assert.rejects(circuit.witness(withBound(2, "maxs", 0, own2.maxs[0])), /assert_max_bit_size|bit size/i, "a max below the previous group's");
  await assert.rejects(circuit.witness(withBound(0, "mins", 0, -(1n << 50n))), /assert_max_bit_size|bit size/i, "a bound outside the data range");
});

test("wrong chaining has no witness: a previous opening that is not prev, prev 0 after group 0, prev not 0 at group 0", async () => {
  const good = inputs(1);
  await assert.rejects(circuit.witness({ ...good, prev_blinding: (links[0].blinding + 1n).toString() }), /do not open prev/, "another blinding");
  // Column 0's minimum is group 1's own (row 600): a previous min lowered to it passes every bound
  // check, so only the opening can refuse it.
  const lower = (good.prev_mins as string[]).slice();
  assert.ok(links[1].mins[0] < links[0].mins[0]);
  lower[0] = toField(links[1].mins[0]).toString();
  await assert.rejects(circuit.witness({ ...good, prev_mins: lower }), /do not open prev/, "a previous min other than the hashed one");
  await assert.rejects(circuit.witness({ ...good, prev: "0" }), /prev must be 0 for group 0/, "group 1 restarting the chain");
  await assert.rejects(circuit.witness({ ...inputs(0), prev: good.prev }), /prev must be 0 for group 0/, "group 0 continuing a chain");
});

test("a skipped group proves alone but breaks the chain the requester checks", async () => {
  // Group 2 folded directly onto group 0's link is a valid witness (the circuit sees one link at a
  // time); the requester's chain check (group order, prev = the previous output) refuses it.
  const skip = extremaChain(ds, 2, blindings).slice(0, 1);
  const g2 = minmaxChunkInputs(ds, 2, binding, 999n, 2, skip[0]);
  await circuit.witness(g2);
  const m = extrema([...rows.slice(0, 512), ...rows.slice(1024)], C);
  const forged = { mins: m.mins, maxs: m.maxs, blinding: 999n };
  const skipped = [chainOf(proofs)[0], { group: 2n, prev: BigInt(g2.prev as string), extrema: extremaCommitment(m.mins, m.maxs, 999n, 4) }];
  assert.match(extremaChainError(skipped, forged, 4) ?? "", /groups must be 0\.\.1 in order/);
  const c = chainOf(proofs);
  assert.match(extremaChainError([c[0], c[2]], links[2], 4) ?? "", /in order/, "group 1 dropped");
  assert.match(extremaChainError([c[0], { ...c[2], group: 1n }], links[2], 4) ?? "", /chain is broken/, "group 2's proof relabelled");
  assert.match(extremaChainError(c, { ...links[2], blinding: links[2].blinding + 1n }, 4) ?? "", /does not open the last/, "a wrong opening");
  assert.match(extremaChainError(c, { ...links[1] }, 4) ?? "", /does not open the last/, "an earlier link's opening");
});

test("5 columns in minmax_chunk_w16: proven chained extrema; an unused column's bound or value other than 0 has no proof", async () => {
  const five = rows.slice(0, 300).map((r, i) => [...r, BigInt(i) * 65536n]);
  const d = commitChunks(five, 64, 5, new Uint8Array(32).fill(1), 16);
  const w16 = new HonkCircuit("minmax_chunk_w16");
  const l = extremaChain(d, 2, [5n, 6n]);
  const good = minmaxChunkInputs(d, 1, binding, 6n, 2, l[0]);
  const p = await w16.prove(good);
  assert.deepEqual(p.proof.publicInputs, [d.tree.root, 1n, binding, 5n, extremaCommitment(l[0].mins, l[0].maxs, 5n, 16), extremaCommitment(l[1].mins, l[1].maxs, 6n, 16)]);
  assert.deepEqual([l[1].mins, l[1].maxs], Object.values(extrema(five.slice(0, 256), 5)));
  const maxsBad = (good.maxs as string[]).slice();
  maxsBad[7] = "1";
  await assert.rejects(w16.witness({ ...good, maxs: maxsBad }), /unused column's maximum must be 0/);
  // A value in unused column 9 of chunk 3, the root recomputed to match: its bounds must still be 0.
  const w = withChunk(d, 3, (v) => ((v[0][9] = 1n), 64));
  const tampered = minmaxChunkInputs(w.ds, 1, binding, 6n, 2, l[0]);
  const values = (tampered.values as string[][][]).map((c, k) => (k === 1 ? w.values : c));
  await assert.rejects(w16.witness({ ...tampered, values }), /assert_max_bit_size|bit size/i, "x = 1 is not within [0, 0]");
});
