import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { BN254_FR, poseidon2Hash } from "../../protocol/src/honk/poseidon2.js";
import { chunkTree, commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { groupRows, statsChunkInputs, statsCommitment, type CircuitInputs } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import type { StatsChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// stats_chunk (4 chunks of R = 256 rows × 4 columns per proof): a right witness proves, the proof
// verifies in the generated Solidity verifier, the output equals the JS twin; wrong witnesses
// have no proof. The dataset has 6 chunks (5 full, one of 220 rows): group 1 holds chunks 4 and 5
// and two empty slots.
const R = 256;
const K = 4;
const C = 4;
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

/** The leaf exactly as the circuit computes it, without the JS twin's range checks, for consistent wrong witnesses. */
function rawLeaf(values: bigint[][], count: number, salt: bigint): bigint {
  if (count === 0) return 0n;
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

/** Inputs for group 1 whose chunk 5 (slot 1 of the group) was changed and the root recomputed to match. */
function consistent(mutate: (values: bigint[][]) => number): CircuitInputs {
  const values = Array.from({ length: R }, (_, i) => (ds.chunks[5][i] ? ds.chunks[5][i].map(toField) : new Array<bigint>(C).fill(0n)));
  const count = mutate(values);
  const leaves = ds.tree.leaves.slice();
  leaves[5] = rawLeaf(values, count, ds.salts[5]);
  const tree = chunkTree(leaves);
  const inputs = statsChunkInputs({ ...ds, tree }, 1, binding, blinding);
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

test("a right witness proves; public inputs are root, group, binding and the twin's commitment", () => {
  const c = statsCommitment(groupRows(ds, 1, K), C, blinding);
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 1n, binding, c.x, c.y]);
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
  assert.equal(await verifyWithContract(verifier, swap(3, proof.publicInputs[3] + 1n)), false, "another commitment");
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
