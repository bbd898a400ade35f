import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { BN254_FR } from "../../protocol/src/honk/poseidon2.js";
import { chunkTree, commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { circuitVector, groupRows, statsChunkInputs, statsVector, type CircuitInputs } from "../../protocol/src/honk/stats.js";
import { commit } from "../../protocol/src/honk/pedersen.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import { verifyHonk } from "../../chain-connector/src/honkverify.js";
import { rawLeaf } from "./honk_raw.js";
import type { StatsChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// stats_chunk (4 chunks of R = 256 rows × W = 4 slots per proof): a right witness proves, the proof
// verifies in the generated Solidity verifier, the output equals the JS twin; wrong witnesses
// have no proof. The dataset has 6 chunks (5 full, one of 220 rows): group 1 holds chunks 4 and 5
// and two empty slots. Then other widths: 3 columns in stats_chunk, 10 in stats_chunk_w16.
const R = 256;
const K = 4;
const C = 4;
const W = 4;
const rows = Array.from({ length: 1500 }, (_, i) => Array.from({ length: C }, (_, j) => BigInt(((i * 7919 + j * 104729) % 200001) - 100000) * 65536n + BigInt(j)));
const seed = new Uint8Array(32).fill(7);
const binding = 0x1234567890abcdefn;
const blinding = 987654321987654321n;
let ds: ChunkedDataset;
let circuit: HonkCircuit;
let proof: HonkProof;
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: StatsChunkHonkVerifier;

/** Inputs for group 1 whose chunk `chunk` (slot 1 of the group) was changed and the root recomputed to match. */
function consistent(mutate: (values: bigint[][]) => number, d: ChunkedDataset = ds, chunk = 5, k = K): CircuitInputs {
  const pad = (r: bigint[]) => [...r.map(toField), ...new Array<bigint>(d.W - r.length).fill(0n)];
  const values = Array.from({ length: d.R }, (_, i) => (d.chunks[chunk][i] ? pad(d.chunks[chunk][i]) : new Array<bigint>(d.W).fill(0n)));
  const count = mutate(values);
  const leaves = d.tree.leaves.slice();
  leaves[chunk] = rawLeaf(values, count, d.salts[chunk], d.R, d.W, d.C);
  const tree = chunkTree(leaves);
  const inputs = statsChunkInputs({ ...d, tree }, 1, binding, blinding, k);
  const all = (inputs.values as string[][][]).map((c) => c.map((r) => r.slice()));
  all[1] = values.map((r) => r.map(String));
  const counts = (inputs.counts as string[]).slice();
  counts[1] = String(count);
  return { ...inputs, values: all, counts };
}

before(async () => {
  ds = commitChunks(rows, R, C, seed);
  circuit = new HonkCircuit("stats_chunk");
  const [proved, n] = await Promise.all([circuit.prove(statsChunkInputs(ds, 1, binding, blinding)), startHardhatNode()]);
  proof = proved.proof;
  node = n;
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  verifier = (await deployHonkVerifier(new Wallet(node.accounts[0], provider), "StatsChunkHonkVerifier")) as unknown as StatsChunkHonkVerifier;
  console.log(
    `stats_chunk: witness ${proved.timings.witnessMs.toFixed(0)} ms, bb ${proved.timings.proveMs.toFixed(0)} ms wall / ${proved.timings.bbCpuSeconds.toFixed(2)} CPU-s, proof ${proof.proof.length} bytes`,
  );
});
after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("a right witness proves; public inputs are root, group, binding, columns and the twin's commitment", () => {
  const c = commit(circuitVector("stats", statsVector(groupRows(ds, 1, K), C), C, W), blinding);
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 1n, binding, BigInt(C), c.x, c.y]);
  assert.equal(ds.chunks.length, 6);
  assert.equal(ds.chunks[5].length, 220, "chunk 5 is partial; slots 6 and 7 are empty");
});

test("the Solidity verifier (with the ptau's [τ]G2) accepts the proof", async () => {
  assert.equal(await verifier.verify(...solidityArgs(proof)), true);
  const gas = await verifier.verify.estimateGas(...solidityArgs(proof));
  console.log(`stats_chunk: verify gas ${gas} (estimate, incl. 21k base and calldata)`);
  assert.ok(gas > 21_000n);
});

test("wrong public inputs are rejected: binding, commitment, chunk index, root", async () => {
  const swap = (i: number, v: bigint): HonkProof => ({ ...proof, publicInputs: proof.publicInputs.map((x, j) => (j === i ? v : x)) });
  assert.equal(await verifyWithContract(verifier, swap(2, binding + 1n)), false, "another round's binding");
  assert.equal(await verifyWithContract(verifier, swap(4, proof.publicInputs[4] + 1n)), false, "another commitment");
  assert.equal(await verifyWithContract(verifier, swap(3, 3n)), false, "another column count");
  assert.equal(await verifyWithContract(verifier, swap(1, 0n)), false, "another group");
  assert.equal(await verifyWithContract(verifier, swap(0, ds.tree.root + 1n)), false, "another root");
  const bad = new Uint8Array(proof.proof);
  bad[100] ^= 1;
  assert.equal(await verifyWithContract(verifier, { ...proof, proof: bad }), false, "a flipped proof byte");
});

test("wrong witnesses have no proof", async () => {
  const good = statsChunkInputs(ds, 1, binding, blinding);
  const reject = async (inputs: CircuitInputs, why: string, msg: RegExp) => assert.rejects(circuit.witness(inputs), msg, why);
  const ROOT_MSG = /not under the dataset root/;
  const salts = (good.salts as string[]).slice();
  salts[0] = (BigInt(salts[0]) + 1n).toString();
  await reject({ ...good, salts }, "wrong salt", ROOT_MSG);
  const tampered = (good.values as string[][][]).map((c) => c.map((r) => r.slice()));
  tampered[0][7][2] = (BigInt(tampered[0][7][2]) + 1n).toString();
  await reject({ ...good, values: tampered }, "tampered value", ROOT_MSG);
  const path = (good.path as string[]).slice();
  path[3] = (BigInt(path[3]) + 1n).toString();
  await reject({ ...good, path }, "wrong Merkle path", ROOT_MSG);
  await reject({ ...good, group: "0" }, "group 1's chunks at index 0", ROOT_MSG);
  await reject({ ...good, group: (1n << 14n).toString() }, "group beyond the tree", /./);
  // Dropping a committed chunk (declaring it empty) changes the root.
  const dropped = (good.values as string[][][]).map((c, i) => (i === 1 ? c.map((r) => r.map(() => "0")) : c));
  await reject({ ...good, values: dropped, counts: ["256", "0", "0", "0"] }, "a chunk declared empty", ROOT_MSG);
  // Consistent roots: only the constraint under test can fail.
  await reject(
    consistent((v) => ((v[3][1] = 1n << 48n), 220)),
    "a value of 2^48 (outside its range)",
    /assert_max_bit_size|bit size/i,
  );
  await reject(
    consistent((v) => ((v[3][1] = BN254_FR - (1n << 48n) - 1n), 220)),
    "a value of −2^48 − 1",
    /assert_max_bit_size|bit size/i,
  );
  await reject(
    consistent(() => 219),
    "a real row hidden as padding",
    /padding row holds a value/,
  );
  await reject(
    consistent(() => 257),
    "count above R",
    /count exceeds/,
  );
  // The consistent builder itself yields a valid witness when nothing is changed.
  await circuit.witness(consistent(() => 220));
});

// Other widths: 3 columns in the width-4 circuit (slot 3 unused), 10 columns in the width-16 one
// (R = 64 rows per chunk, 2 chunks per proof). 300 rows: chunks 0..4 of 64 rows, group 1 = chunks 2, 3.
const narrow = Array.from({ length: 300 }, (_, i) => Array.from({ length: 3 }, (_, j) => BigInt(((i * 31 + j * 17) % 2001) - 1000) * 65536n));
const wide = Array.from({ length: 300 }, (_, i) => Array.from({ length: 10 }, (_, j) => BigInt(((i * 131 + j * 71) % 4001) - 2000) * 65536n + BigInt(j)));

test("3 columns prove in stats_chunk and 10 in stats_chunk_w16; the commitment opens to the compact vector padded with zeros", async () => {
  const d3 = commitChunks(narrow, 256, 3, seed, 4);
  const p3 = await circuit.prove(statsChunkInputs(d3, 0, binding, blinding));
  const v3 = statsVector(groupRows(d3, 0, 4), 3);
  const c3 = commit(circuitVector("stats", v3, 3, 4), blinding);
  assert.deepEqual(p3.proof.publicInputs, [d3.tree.root, 0n, binding, 3n, c3.x, c3.y]);
  assert.equal(v3.length, 7);

  const d10 = commitChunks(wide, 64, 10, seed, 16);
  const w16 = new HonkCircuit("stats_chunk_w16");
  const p10 = await w16.prove(statsChunkInputs(d10, 1, binding, blinding, 2));
  const c10 = commit(circuitVector("stats", statsVector(groupRows(d10, 1, 2), 10), 10, 16), blinding);
  assert.deepEqual(p10.proof.publicInputs, [d10.tree.root, 1n, binding, 10n, c10.x, c10.y]);
  assert.equal(await verifyHonk("stats_chunk_w16", p10.proof), true);
});

test("wrong width padding has no proof: a value in an unused column, another column count", async () => {
  const d10 = commitChunks(wide, 64, 10, seed, 16);
  const w16 = new HonkCircuit("stats_chunk_w16");
  // Root recomputed over the changed chunk: only the unused-column constraint can fail.
  await assert.rejects(w16.witness(consistent((v) => ((v[2][12] = 5n), 64), d10, 3, 2)), /unused column holds a value/, "a value in column 12 of a 10-column dataset");
  await w16.witness(consistent(() => 64, d10, 3, 2));
  const good = statsChunkInputs(d10, 1, binding, blinding, 2);
  await assert.rejects(w16.witness({ ...good, columns: "11" }), /not under the dataset root/, "the leaves commit the column count");
  await assert.rejects(w16.witness({ ...good, columns: "17" }), /columns must lie in 1..W/, "more columns than slots");
  await assert.rejects(w16.witness({ ...good, columns: "0" }), /columns must lie in 1..W/, "no columns");
});
