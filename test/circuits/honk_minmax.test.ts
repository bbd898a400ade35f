import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { extrema, extremaCommitment, groupRows, minmaxChunkInputs, type CircuitInputs } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import type { MinMaxChunkHonkVerifier } from "../../types/ethers-contracts/index.js";

// minmax_chunk (2 chunks of 256 rows × 4 columns per proof): the proven extrema equal the twin's;
// bounds that are not the extrema have no proof. Every value is ≥ 1, so padding rows (zeros)
// would break min ≤ x if the circuit did not mask them.
const C = 4;
const rows = Array.from({ length: 300 }, (_, i) =>
  Array.from({ length: C }, (_, j) => BigInt(1 + ((i * 37 + j * 11) % 500)) * 65536n * (j === 3 ? -1n : 1n) + (j === 3 ? -1n : 0n)),
);
const binding = 4242n;
const blinding = 31337n;
let ds: ChunkedDataset;
let circuit: HonkCircuit;
let proof: HonkProof;
let node: HardhatNode;
let provider: JsonRpcProvider;
let verifier: MinMaxChunkHonkVerifier;

before(async () => {
  ds = commitChunks(rows, 256, C, new Uint8Array(32).fill(1));
  circuit = new HonkCircuit("minmax_chunk");
  const [p, n] = await Promise.all([circuit.prove(minmaxChunkInputs(ds, 0, binding, blinding)), startHardhatNode()]);
  proof = p.proof;
  node = n;
  provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
  verifier = (await deployHonkVerifier(new Wallet(node.accounts[0], provider), "MinMaxChunkHonkVerifier")) as unknown as MinMaxChunkHonkVerifier;
});
after(async () => {
  provider?.destroy();
  await node?.stop();
});

test("a right witness proves the extrema commitment; the EVM verifier accepts it and nothing else", async () => {
  const { mins, maxs } = extrema(groupRows(ds, 0, 2), C);
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 0n, binding, extremaCommitment(mins, maxs, blinding)]);
  assert.equal(mins[3] < 0n, true, "a negative column");
  assert.equal(await verifier.verify(...solidityArgs(proof)), true);
  console.log(`minmax_chunk: verify gas ${await verifier.verify.estimateGas(...solidityArgs(proof))}`);
  const swapped: HonkProof = { ...proof, publicInputs: proof.publicInputs.map((x, i) => (i === 3 ? x + 1n : x)) };
  assert.equal(await verifyWithContract(verifier, swapped), false);
});

test("bounds that are not the extrema have no proof", async () => {
  const good = minmaxChunkInputs(ds, 0, binding, blinding);
  const withBound = (key: "mins" | "maxs", j: number, delta: bigint): CircuitInputs => {
    const arr = (good[key] as string[]).slice();
    const { mins, maxs } = extrema(groupRows(ds, 0, 2), C);
    arr[j] = toField((key === "mins" ? mins : maxs)[j] + delta).toString();
    return { ...good, [key]: arr };
  };
  await assert.rejects(circuit.witness(withBound("mins", 1, 1n)), /assert_max_bit_size|bit size/i, "min above a value");
  await assert.rejects(circuit.witness(withBound("mins", 1, -1n)), /no real row attains the minimum/, "min below every value");
  await assert.rejects(circuit.witness(withBound("maxs", 3, -1n)), /assert_max_bit_size|bit size/i, "max below a value");
  await assert.rejects(circuit.witness(withBound("maxs", 3, 1n)), /no real row attains the maximum/, "max above every value");
  await assert.rejects(circuit.witness(withBound("mins", 0, -(1n << 50n))), /assert_max_bit_size|bit size/i, "a bound outside the data range");
});
