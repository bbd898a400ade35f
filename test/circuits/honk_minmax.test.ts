import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { JsonRpcProvider, Wallet } from "ethers";
import { commitChunks, toField, type ChunkedDataset } from "../../protocol/src/honk/chunks.js";
import { extrema, extremaCommitment, groupRows, minmaxChunkInputs, type CircuitInputs } from "../../protocol/src/honk/stats.js";
import { HonkCircuit, solidityArgs, verifyWithContract, type HonkProof } from "../../node/src/zk/honk.js";
import { startHardhatNode, type HardhatNode } from "../helpers/hardhat.js";
import { deployHonkVerifier } from "../helpers/honk.js";
import { withChunk } from "./honk_raw.js";
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
  assert.deepEqual(proof.publicInputs, [ds.tree.root, 0n, binding, BigInt(C), extremaCommitment(mins, maxs, blinding)]);
  assert.equal(mins[3] < 0n, true, "a negative column");
  assert.equal(await verifier.verify(...solidityArgs(proof)), true);
  console.log(`minmax_chunk: verify gas ${await verifier.verify.estimateGas(...solidityArgs(proof))}`);
  const swapped: HonkProof = { ...proof, publicInputs: proof.publicInputs.map((x, i) => (i === 4 ? x + 1n : x)) };
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

test("5 columns in minmax_chunk_w16: proven extrema; an unused column's bound or value other than 0 has no proof", async () => {
  const five = rows.map((r, i) => [...r, BigInt(i) * 65536n]);
  const d = commitChunks(five, 64, 5, new Uint8Array(32).fill(1), 16);
  const w16 = new HonkCircuit("minmax_chunk_w16");
  const good = minmaxChunkInputs(d, 1, binding, blinding);
  const { mins, maxs } = extrema(groupRows(d, 1, 2), 5);
  const p = await w16.prove(good);
  assert.deepEqual(p.proof.publicInputs, [d.tree.root, 1n, binding, 5n, extremaCommitment(mins, maxs, blinding, 16)]);
  const maxsBad = (good.maxs as string[]).slice();
  maxsBad[7] = "0";
  await w16.witness({ ...good, maxs: maxsBad });
  maxsBad[7] = "1";
  await assert.rejects(w16.witness({ ...good, maxs: maxsBad }), /unused column's maximum must be 0/);
  // A value in unused column 9 of chunk 3, the root recomputed to match: its bounds must still be 0.
  const w = withChunk(d, 3, (v) => ((v[0][9] = 1n), 64));
  const tampered = minmaxChunkInputs(w.ds, 1, binding, blinding);
  const values = (tampered.values as string[][][]).map((c, k) => (k === 1 ? w.values : c));
  await assert.rejects(w16.witness({ ...tampered, values }), /assert_max_bit_size|bit size/i, "x = 1 is not within [0, 0]");
});
