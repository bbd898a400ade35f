import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { BN254_FR, poseidon2Hash } from "../../protocol/src/honk/poseidon2.js";
import { chunkTree, commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { statsChunkInputs, statsCommitment, type CircuitInputs } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import type { StatsChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// stats_chunk (R = 1024 rows × 4 columns): a right witness proves, the proof verifies in the
// generated Solidity verifier, the output equals the JS twin; wrong witnesses have no proof.
const R = 1024;
const C = 4;
const rows = Array.from({ length: 1500 }, (_, i) =>
  Array.from({ length: C }, (_, j) => BigInt(((i * 7919 + j * 104729) % 200001) - 100000) * 65536n + BigInt(j)),
);
const seed = new Uint8Array(32).fill(7);
const binding = 0x1234567890abcdefn;
const blinding = 987654321987654321n;
let ds: ChunkedDataset;
let circuit: HonkCircuit;
let proof: HonkProof;
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: StatsChunkHonkVerifier;

/** The leaf exactly as the circuit computes it, without the JS twin's range checks, for consistent wrong witnesses. */
function rawLeaf(values: bigint[][], count: number, salt: bigint): bigint {
  const packed: bigint[] = [];
  let acc = 0n;
  let shift = 1n;
  let n = 0;
  for (const row of values) {
    for (const x of row) {
      acc = (acc + ((x + (1n << 48n)) % BN254_FR) * shift) % BN254_FR;
      shift = (shift << 49n) % BN254_FR;
      if (++n % 5 === 0) {
        packed.push(acc);
        acc = 0n;
        shift = 1n;
      }
    }
  }
  if (n % 5 !== 0) packed.push(acc);
  return poseidon2Hash([salt, BigInt(R), BigInt(count), ...packed]);
}

/** Inputs for chunk 1 whose values / count were changed and the root recomputed to match. */
function consistent(mutate: (values: bigint[][]) => number): CircuitInputs {
  const values = Array.from({ length: R }, (_, i) => (ds.chunks[1][i] ? ds.chunks[1][i].map(toField) : new Array<bigint>(C).fill(0n)));
  const count = mutate(values);
  const leaves = ds.tree.leaves.slice();
  leaves[1] = rawLeaf(values, count, ds.salts[1]);
  const tree = chunkTree(leaves);
  const inputs = statsChunkInputs({ ...ds, tree }, 1, binding, blinding);
  return { ...inputs, values: values.map((r) => r.map(String)), count };
}

before(async () => {
  ds = commitChunks(rows, R, C, seed);
  circuit = new HonkCircuit("stats_chunk");
  const [proved, n] = await Promise.all([circuit.prove(statsChunkInputs(ds, 1, binding, blinding)), startHardhatNode()]);
  proof = proved.proof;
  node = n;
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  verifier = (await deployHonkVerifier(new Wallet(node.accounts[0], provider), "StatsChunkHonkVerifier")) as unknown as StatsChunkHonkVerifier;
  console.log(`stats_chunk: witness ${proved.timings.witnessMs.toFixed(0)} ms, bb ${proved.timings.proveMs.toFixed(0)} ms wall / ${proved.timings.bbCpuSeconds.toFixed(2)} CPU-s, proof ${proof.proof.length} bytes`);
});
after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("a right witness proves; public inputs are root, index, binding and the twin's commitment", () => {
  const c = statsCommitment(ds.chunks[1], C, blinding);
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 1n, binding, c.x, c.y]);
  assert.equal(ds.chunks[1].length, 476, "chunk 1 is partial: 548 padding rows");
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
  assert.equal(await verifyWithContract(verifier, swap(3, proof.publicInputs[3] + 1n)), false, "another commitment");
  assert.equal(await verifyWithContract(verifier, swap(1, 0n)), false, "another chunk");
  assert.equal(await verifyWithContract(verifier, swap(0, ds.tree.root + 1n)), false, "another root");
  const bad = new Uint8Array(proof.proof);
  bad[100] ^= 1;
  assert.equal(await verifyWithContract(verifier, { ...proof, proof: bad }), false, "a flipped proof byte");
});

test("wrong witnesses have no proof", async () => {
  const good = statsChunkInputs(ds, 1, binding, blinding);
  const reject = async (inputs: CircuitInputs, why: string, msg: RegExp) =>
    assert.rejects(circuit.witness(inputs), msg, why);
  await reject({ ...good, salt: (ds.salts[1] + 1n).toString() }, "wrong salt", /not under the dataset root/);
  const tampered = (good.values as string[][]).map((r) => r.slice());
  tampered[7][2] = (BigInt(tampered[7][2]) + 1n).toString();
  await reject({ ...good, values: tampered }, "tampered value", /not under the dataset root/);
  const path = (good.path as string[]).slice();
  path[3] = (BigInt(path[3]) + 1n).toString();
  await reject({ ...good, path }, "wrong Merkle path", /not under the dataset root/);
  await reject({ ...good, chunk_index: "0" }, "path of chunk 1 at index 0", /not under the dataset root/);
  await reject({ ...good, chunk_index: (1n << 16n).toString() }, "index beyond the tree", /./);
  // Consistent roots: only the constraint under test can fail.
  await reject(consistent((v) => ((v[3][1] = 1n << 48n), 476)), "a value of 2^48 (outside its range)", /assert_max_bit_size|bit size/i);
  await reject(consistent((v) => ((v[3][1] = BN254_FR - (1n << 48n) - 1n), 476)), "a value of −2^48 − 1", /assert_max_bit_size|bit size/i);
  await reject(consistent(() => 475), "a real row hidden as padding", /padding row holds a value/);
  await reject(consistent(() => 1025), "count above R", /count exceeds/);
  // The consistent builder itself yields a valid witness when nothing is changed.
  await circuit.witness(consistent(() => 476));
});
